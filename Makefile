.PHONY: run test bench clean

# Start everything (broker, migrations, demo data, web, relay, workers) on the embedded default.
run:
	@bash scripts/run.sh

# Run the test suite (SQLite + PostgreSQL, real broker).
test:
	@bash scripts/test.sh

bench:
	@bash -c 'source scripts/venv.sh && python bench/run.py'

clean:
	rm -rf .venv var .pytest_cache
