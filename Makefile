# Thin wrapper over CMake for the README's commands.
#   make demo   install what is missing, build, create the demo node
#   make check  install what is missing, build, run every test (+ sanitizer build: make check-asan)
#   make bench  build and run the benchmarks
#   make install PREFIX=/usr/local
BUILD ?= build
ASAN_BUILD ?= build-asan
PREFIX ?= /usr/local
DB ?= demo.db
LISTEN ?= 127.0.0.1:8080
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build demo check check-asan bench install clean

all: build

deps:
	@scripts/deps.sh build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target attache_cli
	@if [ -f "$(DB)" ]; then echo "demo node $(DB) exists; using it"; \
	else ./$(BUILD)/attache --db $(DB) demo; fi
	./$(BUILD)/attache --db $(DB) post list
	./$(BUILD)/attache --db $(DB) appoint list
	./$(BUILD)/attache --db $(DB) audit verify
	@echo
	@echo "Web interface: http://$(LISTEN)/  (users: head mfa president desk-ct desk-oc desk-cy"
	@echo "  rep-aliyev rep-mammadova rep-huseynov rep-gasimov rep-jafarov partner-europol"
	@echo "  partner-interpol overseer finance admin; password demo-pass-2026). Ctrl-C stops it."
	./$(BUILD)/attache --db $(DB) serve --listen $(LISTEN)

check:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

check-asan:
	@scripts/deps.sh test
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DATT_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build
	bench/run.sh $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
