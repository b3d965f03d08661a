"""Every 4xx and 5xx answer is JSON: {"error": {"status", "name", "message", "request_id"}}."""

from __future__ import annotations

from flask import Flask, g, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response


def error_response(status: int, name: str, message: str) -> tuple[Response, int]:
    body = {"error": {"status": status, "name": name, "message": message, "request_id": g.get("request_id")}}
    return jsonify(body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        response, status = error_response(error.code or 500, error.name, error.description or "")
        # Keep headers the exception carries, such as Allow on a 405.
        for key, value in error.get_headers():
            if key.lower() != "content-type":
                response.headers[key] = value
        return response, status

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[Response, int]:
        app.logger.exception("unhandled error")
        return error_response(500, InternalServerError().name, "The server hit an error it did not expect.")
