# hypoteky: one entry point. `make up` brings the sandbox up, `make test` runs
# every test; both start from a fresh Debian 12 machine (run as root).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-tooling-lock
export PATH := $(BIN):$(PATH)
export ANSIBLE_FORCE_COLOR ?= 0
# Molecule scenarios, longest first, JOBS at a time (tools/molecule-scenarios).
SCENARIOS ?= cluster default app audit monitoring notifications database common
JOBS ?= 2
SANDBOX_HOST := sandbox
SANDBOX_IP := 10.213.10.2
SANDBOX_DOMAIN := hypoteky.sandbox.test

.PHONY: help prereqs venv image up down e2e pilot docs lint test test-project test-app test-molecule release lock clean

help:
	@echo "make up          sandbox host + playbooks/site.yml (prints where and how to log in)"
	@echo "make down        remove the sandbox (hosts, mounts, bridge, firewall table, keys)"
	@echo "make test        lint + project tests + app tests + every Molecule scenario"
	@echo "make lint        yamllint, ansible-lint (production profile), ruff, shellcheck"
	@echo "make test-molecule SCENARIOS='common'   some scenarios only"
	@echo "make e2e         browser tests (Debian's Chromium) against the sandbox (make up first); screenshots in artifacts/e2e/"
	@echo "make pilot       phase 9's load test against the sandbox; report in evidence/sandbox/pilot/"
	@echo "make docs        regenerate roles/*/README.md from meta/argument_specs.yml"
	@echo "make lock        re-pin the toolchain (requirements/tooling.in -> tooling.lock)"

prereqs:
	@tools/install-prereqs

venv: $(STAMP)

# Reinstalled only when the lock changes.
$(STAMP): requirements/tooling.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/tooling.lock
	touch $@

image: prereqs
	tools/testhost image

# The sandbox's certificate comes from pebble, an ACME test server on the
# sandbox host itself; its play runs in the same run as site.yml (it hands
# the ACME URL and CA to certbot as facts).
up: prereqs venv image
	tools/testhost up $(SANDBOX_HOST) $(SANDBOX_IP)
	ansible-playbook molecule/shared/playbooks/acme.yml molecule/shared/playbooks/trust-acme-root.yml molecule/shared/playbooks/smtp.yml playbooks/site.yml
	ansible-playbook molecule/shared/playbooks/demo-login.yml
	@echo
	@echo "The sandbox is up: host '$(SANDBOX_HOST)' at $(SANDBOX_IP) (inventories/sandbox)."
	@echo "  site:     https://$(SANDBOX_DOMAIN)/ (certificate from the sandbox's pebble;"
	@echo "            from this machine: curl -k --resolve $(SANDBOX_DOMAIN):443:$(SANDBOX_IP) https://$(SANDBOX_DOMAIN)/login/)"
	@echo "  login:    the adviser and manager printed just above (new passwords with every make up;"
	@echo "            ansible-playbook molecule/shared/playbooks/demo-login.yml draws new ones)"
	@echo "  shell:    tools/testhost ssh $(SANDBOX_HOST)"
	@echo "  ansible:  $(VENV)/bin/ansible-playbook molecule/shared/playbooks/acme.yml molecule/shared/playbooks/trust-acme-root.yml molecule/shared/playbooks/smtp.yml playbooks/site.yml"
	@echo "  remove:   make down"

# HYPOTEKY_E2E_ADDRESS / _DOMAIN / _HOST / _INVENTORY point the browser tests elsewhere.
e2e: venv
	pytest -p no:cacheprovider molecule/default/tests/test_browser.py

pilot: venv
	ansible-playbook playbooks/09-pilot.yml

down:
	tools/testhost purge $(word 3,$(subst ., ,$(SANDBOX_IP)))

lint: venv
	yamllint --strict .
	ansible-lint --offline
	ruff check tests molecule tools/role-docs tools/pilot
	ruff format --check tests molecule tools/role-docs tools/pilot
	tools/role-docs --check
	shellcheck tools/testhost tools/install-prereqs tools/molecule-scenario tools/molecule-scenarios tools/bench/* .ci/run

test-project: venv image
	pytest tests

test-app:
	$(MAKE) -C app test

# The release the scenarios deploy, built once before they start (phase 1;
# the app's tests are test-app's job): scenarios starting side by side would
# otherwise build the same release into the same place at the same time.
release: venv
	ansible-playbook playbooks/01-build.yml -e hypoteky_build_run_app_tests=false

test-molecule: venv image release
	tools/molecule-scenarios $(JOBS) $(SCENARIOS)

test: prereqs lint test-project test-app test-molecule

docs: venv
	tools/role-docs

lock:
	test -x $(BIN)/uv || $(MAKE) venv
	uv pip compile --quiet --generate-hashes --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 requirements/tooling.in -o requirements/tooling.lock

clean: down
	rm -rf $(VENV)
	$(MAKE) -C app clean
