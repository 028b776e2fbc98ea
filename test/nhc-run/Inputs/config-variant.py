"""Writes a copy of a config.json with some keys replaced.

    config-variant.py SRC DST KEY=JSON [KEY=JSON ...]
"""
import json
import sys

config = json.load(open(sys.argv[1]))
for item in sys.argv[3:]:
    key, value = item.split("=", 1)
    config[key] = json.loads(value)
with open(sys.argv[2], "w") as out:
    json.dump(config, out, indent=2)
