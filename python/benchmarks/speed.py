"""Decisions per second through the Python package on the standard mix (``mix`` prints it):
single requests (``decide``, one call per request) and batches (``decide_many`` of the whole
mix), each for a few seconds. Usage: ``python speed.py MIX.jsonl [SECONDS]``."""

import json
import sys
import time

import onbehalf


def rate(run, decisions_per_run, seconds):
    run()  # warm up (instantiation, first calls)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run()
        done += decisions_per_run
    return done / (time.perf_counter() - start)


def main() -> None:
    mix = [json.loads(line) for line in open(sys.argv[1])]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0

    def single():
        for request in mix:
            onbehalf.decide(request)

    def batch():
        onbehalf.decide_many(mix)

    print(f"python single: {rate(single, len(mix), seconds):,.0f} decisions/s")
    print(f"python batch of {len(mix)}: {rate(batch, len(mix), seconds):,.0f} decisions/s")


if __name__ == "__main__":
    main()
