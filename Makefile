# The two commands a newcomer needs: `make run` and `make test`.
# Everything else here is what they stand on.

PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask
export FLASK_APP := portal

# Debian packages the tests need (installed only when missing): Chromium, gettext,
# PostgreSQL and Redis server binaries, tesseract-ocr and the OCR-B font (passport pre-check),
# Java for the Nu HTML checker; the checker itself (vnu-jar) from npm, pinned in package-lock.json.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

VNU_JAR := node_modules/vnu-jar/build/dist/vnu.jar

PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test fuzz setup install catalogs db system-deps debian-deps lint format bench load screenshots clean

# The outbox worker runs beside the server and stops with it (Ctrl-C reaches both;
# the trap covers the server stopping on its own, e.g. when the port is taken).
# PORT reaches both processes: in development the letters' links (BASE_URL) follow it,
# unless PORTAL_BASE_URL says otherwise.
run: setup
	@echo "Serving the portal at http://127.0.0.1:$(PORT) (letters: http://127.0.0.1:$(PORT)/dev/mail)"
	@export PORT=$(PORT); \
	$(FLASK) outbox worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' INT TERM EXIT; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: setup system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(FLASK) translate check
	$(BIN)/pytest

# The fuzz suite with random, many more examples than `make test` runs (FUZZ_EXAMPLES per
# form, 3000 by default); failures are kept in .hypothesis/ and replayed first next time.
fuzz: setup system-deps
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests/test_fuzz.py -p no:cacheprovider

setup: install catalogs db

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

catalogs: install $(MO_FILES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

db: install
	$(FLASK) db upgrade

system-deps: debian-deps $(VNU_JAR)

debian-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
		|| missing="$$missing postgresql"; \
	command -v tesseract >/dev/null 2>&1 || missing="$$missing tesseract-ocr tesseract-ocr-eng"; \
	test -f /usr/share/fonts/opentype/ocr-b/OCRB.otf || missing="$$missing fonts-ocr-b"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		echo "Installing from Debian:$$missing"; \
		$(APT) update -qq && $(APT) install -y -qq --no-install-recommends $$missing; \
	fi

# The Nu HTML checker, exactly the version of package-lock.json, into node_modules/
# (its install script, which would fetch a Java of its own, is not run: Debian's is used).
$(VNU_JAR): package.json package-lock.json | debian-deps
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	@missing=""; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
		|| missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "Installing from Debian:$$missing"; \
		$(APT) update -qq && $(APT) install -y -qq --no-install-recommends $$missing; \
	fi
	@# pages.py and wizard.py print each target met or MISSED, outbox.py its figures; all three
	@# run, and make fails if a target was missed or a script failed.
	@status=0; \
	$(BIN)/python bench/pages.py || status=1; \
	$(BIN)/python bench/wizard.py || status=1; \
	$(BIN)/python bench/outbox.py || status=1; \
	if [ $$status -eq 0 ]; then echo "make bench: every target met"; \
	else echo "make bench: a target was MISSED or a response was unexpected (see above)"; fi; \
	exit $$status

# Load test (bench/load.py): CONCURRENCY people at once walk the whole journey for DURATION
# seconds against gunicorn -w 2 on a throwaway PostgreSQL, the outbox worker and an SMTP sink.
CONCURRENCY ?= 100
DURATION ?= 300
load: setup system-deps
	$(BIN)/python bench/load.py --concurrency $(CONCURRENCY) --duration $(DURATION)

# The README's pictures of the wizard in each language (docs/screenshots/), from Chromium.
screenshots: setup system-deps
	$(BIN)/python -m tests.screenshots docs/screenshots

clean:
	rm -rf $(VENV) instance $(MO_FILES)
