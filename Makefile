# Everything this project needs on a fresh Debian 12 machine (as root) is
# installed from here: Debian packages, the Python toolchain in .venv, the
# collections, the lab's base image. Run `make help` for the targets.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
PYTHON ?= python3
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export CONTAINERS_CONF := $(CURDIR)/molecule/resources/image/containers.conf
export ANSIBLE_FORCE_COLOR ?= $(if $(CI),0,1)

# Debian packages for the controller and the lab (see shared ENVIRONMENT notes):
# podman with runc (crun fails on hybrid cgroups), netavark and aardvark-dns for
# lab networks (netavark needs iptables), mmdebstrap for the base image, lynis
# for the hardening audit (the tests copy it to each lab host and run it there).
APT_PACKAGES := podman runc netavark aardvark-dns iptables mmdebstrap \
	openssh-client python3-venv git curl ca-certificates apt-cacher-ng lynis

# The lab's package cache (apt-cacher-ng, a project instance on its own port):
# every lab host downloads Debian packages through it, so each is fetched once
# per machine, not once per host and scenario. It lives outside the clone, like
# the base images, so a clean clone (CI) starts warm.
LAB_APT_CACHE ?= /var/cache/flask-lab/apt
LAB_APT_CACHE_PORT ?= 3149
export LAB_APT_CACHE LAB_APT_CACHE_PORT

# The Debian release of the lab's hosts (a scenario's host may name its own):
# `make demo DEBIAN=12`.
DEBIAN ?= 13
export DEBIAN

# Every folder under molecule/ with a molecule.yml is a scenario.
SCENARIOS := $(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))
PLAYBOOKS := $(filter-out playbooks/templates/%,$(wildcard playbooks/*.yml))

.PHONY: help setup apt apt-cache venv collections lint wheel app-test molecule test demo lab-up lab-down bench bench-report bench-down clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: apt apt-cache venv collections ## Install everything the project needs (idempotent)

apt: ## Install the Debian packages that are missing
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

apt-cache: apt ## Start the lab's package cache unless it runs
	@if curl -s -o /dev/null --max-time 2 http://127.0.0.1:$(LAB_APT_CACHE_PORT)/acng-report.html; then \
	  echo "apt-cache: answering on port $(LAB_APT_CACHE_PORT)"; \
	else \
	  install -d -m 0755 $(LAB_APT_CACHE)/cache $(LAB_APT_CACHE)/log; \
	  chown -R apt-cacher-ng: $(LAB_APT_CACHE) 2>/dev/null || true; \
	  /usr/sbin/apt-cacher-ng -c $(CURDIR)/molecule/resources/apt-cache ForeGround=0 \
	    Port=$(LAB_APT_CACHE_PORT) CacheDir=$(LAB_APT_CACHE)/cache LogDir=$(LAB_APT_CACHE)/log \
	    PidFile=$(LAB_APT_CACHE)/pid; \
	  for i in $$(seq 20); do \
	    curl -s -o /dev/null --max-time 2 http://127.0.0.1:$(LAB_APT_CACHE_PORT)/acng-report.html && break; sleep 0.5; \
	  done; \
	  curl -s -o /dev/null --max-time 2 http://127.0.0.1:$(LAB_APT_CACHE_PORT)/acng-report.html \
	    || { echo "apt-cache: apt-cacher-ng did not start; see $(LAB_APT_CACHE)/log" >&2; exit 1; }; \
	  echo "apt-cache: started on port $(LAB_APT_CACHE_PORT), cache in $(LAB_APT_CACHE)"; \
	fi

venv: apt $(VENV)/.installed ## Create .venv with the pinned toolchain

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e app/
	touch $@

collections: venv ## Install the pinned collections (offline when the ansible package bundles them)
	@$(BIN)/ansible-galaxy collection install -r requirements.yml | tail -n 1

lint: setup ## yamllint, ansible-lint (production profile), syntax checks, ruff
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production --offline
	@for inv in inventory/*/; do \
	  $(BIN)/ansible-playbook --syntax-check -i "$$inv" $(PLAYBOOKS) >/dev/null || { echo "syntax check failed with $$inv"; exit 1; }; \
	done; echo "syntax check: $(words $(PLAYBOOKS)) playbooks against $(words $(wildcard inventory/*/)) inventories"
	$(BIN)/ruff check app molecule playbooks bench plugins
	$(BIN)/ruff format --check app molecule playbooks bench plugins

wheel: venv ## Build the app's wheel into dist/ (the artifact CI promotes from staging to production)
	rm -rf dist && $(BIN)/python -m build --wheel --outdir dist app

app-test: setup ## The Flask app's own tests, and the benchmark report's
	cd app && $(BIN)/pytest -q
	cd bench && $(BIN)/pytest -q -p no:cacheprovider test_report.py

# The cluster scenario takes most of the time: it runs first in a lane of its
# own, the others one after another in a second lane beside it (see
# molecule/resources/lanes.sh); the short ones (MOLECULE_AFTER_OWN) follow
# cluster in its lane, so both lanes end together (measured 2026-12-06: cluster
# 35 min; apps, badinput, default and edge 42 min; lab and supervisor 5 min).
# MOLECULE_LANES=1: all in one lane.
MOLECULE_LANES ?= 2
MOLECULE_OWN_LANE ?= cluster
MOLECULE_AFTER_OWN ?= lab supervisor
MOLECULE_LOGS ?= $(CURDIR)/.cache/molecule-logs
export MOLECULE_LOGS

molecule: setup ## Every Molecule scenario, full sequence (SCENARIOS="lab" to pick)
	@$(BIN)/ansible-playbook -i localhost, molecule/resources/playbooks/lab-base.yml
ifeq ($(MOLECULE_LANES),1)
	@molecule/resources/lanes.sh "$(SCENARIOS)"
else
	@molecule/resources/lanes.sh "$(filter $(MOLECULE_OWN_LANE),$(SCENARIOS)) $(filter $(MOLECULE_AFTER_OWN),$(SCENARIOS))" \
	  "$(filter-out $(MOLECULE_OWN_LANE) $(MOLECULE_AFTER_OWN),$(SCENARIOS))"
endif

test: lint app-test molecule ## Everything CI checks
	@echo "make test: lint, app tests and scenarios ($(SCENARIOS)) passed"

lab-up: setup ## Create the local lab's hosts (inventory/local) and its ACME server
	$(BIN)/ansible-playbook -i inventory/local molecule/resources/playbooks/lab-up.yml \
	  molecule/resources/playbooks/acme-server.yml

lab-down: setup ## Destroy the local lab's hosts
	$(BIN)/ansible-playbook -i inventory/local molecule/resources/playbooks/lab-down.yml

demo: lab-up ## Provision the local lab with site.yml and print what it serves
	$(BIN)/ansible-playbook -i inventory/local playbooks/site.yml
	@$(BIN)/ansible-playbook -i inventory/local molecule/resources/playbooks/lab-report.yml

# Not part of `make test`: all its sections take well over two hours on the 2-core reference machine (README). BENCH_ARGS="--only http,tls" to pick sections.
bench: setup $(VENV)/.bench-installed ## Benchmarks on their own lab: writes docs/benchmarks.md and .png
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

bench-report: $(VENV)/.bench-installed ## Rewrite docs/benchmarks.md and .png from the last figures
	$(BIN)/python bench/bench.py --report-only

$(VENV)/.bench-installed: bench/requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $@

bench-down: setup ## Destroy the benchmark's lab (its figures stay in bench/results)
	$(BIN)/ansible-playbook -i inventory/local -e lab_name=bench molecule/resources/playbooks/lab-down.yml

clean: lab-down bench-down ## Destroy the labs and remove local caches (keeps the base image)
	rm -rf .cache .lab
