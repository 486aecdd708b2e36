"""Compares mp-error-bounds' result bound with mp-run's measured error."""
import json
import re
import sys

d = sys.argv[1]


def bound(name):
    text = open(f"{d}/{name}.txt").read()
    return float(re.search(r"result 0: error bound \|err\| <= ([0-9.e+-]+)", text).group(1))


f32 = bound("f32")
for policy in ("bf16", "f16"):
    b = bound(policy) + f32
    measured = json.load(open(f"{d}/{policy}.json"))["outputs"][0]["error"]["max_abs_error"]
    verdict = "covered" if measured <= b else "VIOLATED"
    print(f"{policy}: measured {measured:.3e} <= bound {b:.3e} (x{b / measured:.1f}) {verdict}")
