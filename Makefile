.PHONY: run test bench chaos clean

# Start everything (broker, migrations, demo data, web, relay, workers) on the embedded default.
run:
	@bash scripts/run.sh

# Run the test suite (SQLite + PostgreSQL, real broker).
test:
	@bash scripts/test.sh

bench:
	@bash -c 'source scripts/venv.sh && python bench/run.py'

# The chaos test (bench/chaos/): the scaled-out topology on PostgreSQL, traffic and random faults, then the
# invariants. `make chaos ARGS="--duration 90 --seed 1"` for the short version; `--broker postgres` for Tansu's
# PostgreSQL storage.
chaos:
	@bash -c 'source scripts/venv.sh && python -m bench.chaos.run $(ARGS)'

clean:
	rm -rf .venv var .pytest_cache
