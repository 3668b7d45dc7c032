# Shared by the benchmark scripts (sourced, not run).

# tag CASE REP RUNNER < output: prints offer_flood's last (JSON) line with "case", "rep"
# and "runner" added.
tag() {
    python3 -c '
import json, sys
line = json.loads(sys.stdin.read().strip().splitlines()[-1])
line.update(case=sys.argv[1], rep=int(sys.argv[2]), runner=sys.argv[3])
print(json.dumps(line))' "$@"
}
