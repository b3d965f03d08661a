"""The HTML page and its static files."""

from __future__ import annotations

import json

from flask_migrate import upgrade
from flaskapp import create_app


def test_index_lists_notes_and_the_release(client):
    client.post("/api/notes", json={"title": "Visible <b>title</b>"})
    page = client.get("/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Visible &lt;b&gt;title&lt;/b&gt;" in html  # escaped, not markup
    assert "release 20261122T101500Z" in html


def test_index_links_its_static_css_and_js(client):
    html = client.get("/").get_data(as_text=True)
    assert "/static/app.css" in html
    assert "/static/app.js" in html


def test_static_files_are_served(client):
    css = client.get("/static/app.css")
    js = client.get("/static/app.js")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert js.status_code == 200 and "javascript" in js.mimetype
    css.close()
    js.close()


def test_static_urls_name_the_build_the_deploy_recorded(env, release_file):
    release_file.write_text(json.dumps({"release": "r1", "build": "b0123456789a"}), encoding="utf-8")
    app = create_app(env)
    with app.app_context():
        upgrade()
    html = app.test_client().get("/").get_data(as_text=True)
    assert "/static/app.css?v=b0123456789a" in html
    assert "/static/app.js?v=b0123456789a" in html
    css = app.test_client().get("/static/app.css?v=b0123456789a")
    css.close()
    assert css.status_code == 200


def test_static_urls_stay_plain_outside_a_deploy(client):
    html = client.get("/").get_data(as_text=True)
    assert '/static/app.css"' in html
    assert "?v=" not in html
