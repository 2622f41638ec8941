#!/usr/bin/env bash
# The shipped monitoring kit against the real daemon and Debian's real Prometheus:
#   1. promtool check rules and promtool test rules (deploy/prometheus/);
#   2. every runbook_url names a section of docs/RUNBOOK.md, and every alert has one;
#   3. the real neptune-watchdog (against neptune-sim: plain endpoints, a discovered cluster,
#      replicas through a real etcd, an unreachable endpoint) passes `promtool check metrics`;
#   4. a real Prometheus on a free loopback port (temporary data directory, scrape and rule
#      evaluation every second, the shipped rules loaded) scrapes it: the cancelling-paused
#      alert goes to firing while the audit log is /dev/full and is gone once it is writable;
#   5. every rule loaded by Prometheus evaluates without error, every expression of the rules
#      and of the dashboard answers `success` through /api/v1/query, each dashboard target
#      answers series that carry the labels its legend shows, every label name the rules and
#      the dashboard use is exported, and every daemon series they name (and every recorded
#      series) exists: a renamed metric or label fails here;
#   6. every family the daemon exports is used by the rules or the dashboard, but for the few
#      listed below.
#
# Usage: prometheus_test.sh SOURCE_DIR WATCHDOG_BIN SIM_BIN
#
# Speed: Prometheus scrapes and evaluates every second, and loads a copy of the rules whose
# `for:` durations are cut to 2s (their real values are covered by promtool test rules, at
# their boundaries). The daemon polls every 200ms. The test takes about 30 s.
set -euo pipefail
root=${1:?usage: prometheus_test.sh SOURCE_DIR WATCHDOG_BIN SIM_BIN}
watchdog=${2:?usage: prometheus_test.sh SOURCE_DIR WATCHDOG_BIN SIM_BIN}
sim=${3:?usage: prometheus_test.sh SOURCE_DIR WATCHDOG_BIN SIM_BIN}
rules=$root/deploy/prometheus/neptune-watchdog.rules.yml
dashboard=$root/deploy/grafana/neptune-watchdog.json
docs=$root/docs
runbook=$docs/RUNBOOK.md

# Families the daemon exports that neither the rules nor the dashboard use, with the reason.
#   crossing_checks_total: only with confirm_by_id = true; a detail of deadline scheduling.
#   notifications_sent_total: deliveries; the alert reads what was lost (failed, dropped).
unused_families='crossing_checks_total|notifications_sent_total'
# Families the rules or the dashboard use that have no sample in this setup, with the reason;
# for them the family's TYPE line in /metrics is checked instead of a series in Prometheus.
#   cancels_refused_total: needs Neptune to answer a cancel with AccessDenied, which the
#   simulator does not do.
no_samples_here='cancels_refused_total'

for tool in promtool prometheus etcd curl jq; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing: run scripts/setup" >&2; exit 1; }
done

work=$(mktemp -d /tmp/nw-monitoring-XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log; do
    [ -f "$log" ] || continue
    echo "--- last lines of $(basename "$log")" >&2
    grep -v 'endpoint unreachable' "$log" | tail -n 30 >&2 || true
  done
  if [ -n "${metrics_port:-}" ]; then
    echo "--- /metrics" >&2
    curl -s "http://127.0.0.1:$metrics_port/metrics" | grep -v '^#' | grep -v '_bucket{' >&2 || true
  fi
  exit 1
}

# Waits up to SECONDS for COMMAND to succeed.
wait_for() {  # SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out after ${seconds}s waiting for: $what"
    sleep 0.2
  done
}

# A loopback port nothing listens on now (the caller retries if someone takes it first).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

echo "== promtool check rules, promtool test rules"
promtool check rules "$rules" || fail "promtool check rules"
(cd "$(dirname "$rules")" && promtool test rules neptune-watchdog.rules.test.yml) ||
  fail "promtool test rules"

echo "== runbook sections"
sections=$(grep -E '^## ' "$runbook" | sed 's/^## //' | tr '[:upper:]' '[:lower:]')
for anchor in $(grep -oE 'RUNBOOK\.md#[a-z0-9-]+' "$rules" | cut -d'#' -f2 | sort -u); do
  grep -qx "$anchor" <<<"$sections" || fail "runbook_url #$anchor: no such section in docs/RUNBOOK.md"
done
for alert in $(grep -E '^\s+- alert:' "$rules" | awk '{print $3}'); do
  anchor=$(tr '[:upper:]' '[:lower:]' <<<"$alert")
  grep -q "RUNBOOK.md#$anchor\"" "$rules" || fail "alert $alert: its runbook_url is not #$anchor"
done

# --- The daemon, with every kind of series it can export ------------------------------------
echo "== neptune-sim, etcd, neptune-watchdog"
start_sim() {  # NAME ARGS...
  local name=$1
  shift
  "$sim" --listen 127.0.0.1:0 --arrival-rate 0 --seed 7 "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_for 30 "$name ready" grep -q '^neptune-sim: ready' "$work/$name.log"
}
inject() {  # PORT ID ELAPSED_MS
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data "{\"queryId\":\"$2\",\"queryString\":\"MATCH (n) RETURN n\",\"state\":\"running\",\"elapsed\":$3,\"waited\":0}" \
    "http://127.0.0.1:$1/sim/queries" || fail "could not inject query $2"
}

# Two plain instances: `writer` and `budget` (a rule with a budget of one cancel a minute).
start_sim sim --instances 2
mapfile -t sim_ports < <(grep -oE 'listening on http://127.0.0.1:[0-9]+' "$work/sim.log" | sed 's/.*://')
((${#sim_ports[@]} == 2)) || fail "neptune-sim did not start 2 instances"
# A cluster `demo` behind the simulator's management API, whose one instance fails every
# cancel (ThrottlingException): failed outcomes.
start_sim cluster --cluster demo --instances 1 --fault 500,on=cancel
management=$(grep -oE 'management API on http://127.0.0.1:[0-9]+' "$work/cluster.log" | sed 's/.*on //')
cluster_port=$(grep -oE 'listening on http://127.0.0.1:[0-9]+' "$work/cluster.log" | head -n1 | sed 's/.*://')

# One etcd member for [ha]: the daemon is the one replica of its group and owns every unit.
etcd_started=false
for attempt in 1 2 3; do
  client=$(free_port)
  peer=$(free_port)
  etcd --name nw-monitoring --data-dir "$work/etcd" \
    --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "nw-monitoring=http://127.0.0.1:$peer" --log-level error >"$work/etcd.log" 2>&1 &
  etcd_pid=$!
  for _ in $(seq 50); do
    if curl -sf -X POST --data '{"key":"AA=="}' "http://127.0.0.1:$client/v3/kv/range" >/dev/null 2>&1; then
      etcd_started=true
      break
    fi
    kill -0 "$etcd_pid" 2>/dev/null || break
    sleep 0.2
  done
  if $etcd_started; then
    pids+=("$etcd_pid")
    break
  fi
  kill "$etcd_pid" 2>/dev/null || true
  wait "$etcd_pid" 2>/dev/null || true
  rm -rf "$work/etcd"
done
$etcd_started || fail "etcd did not start on loopback"

# The audit log is logs/audit.jsonl; `logs` becomes a link to /dev (so the file is /dev/full,
# whose every write fails) to pause cancelling, as the reliability tests do.
mkdir "$work/logs"
unreachable=$(free_port)
config=$work/watchdog.ini
cat >"$config" <<EOF
[watchdog]
poll_interval = 200ms
audit_log = $work/logs/full
on_audit_failure = pause
metrics_listen = 127.0.0.1:0
[retry]
max_attempts = 2
initial_backoff = 10ms
max_backoff = 20ms
[ha]
etcd = http://127.0.0.1:$client
group = monitoring
replica = r1
lease_ttl = 3s
request_timeout = 800ms
[endpoint.writer]
url = http://127.0.0.1:${sim_ports[0]}
request_timeout = 1s
[endpoint.budget]
url = http://127.0.0.1:${sim_ports[1]}
request_timeout = 1s
[endpoint.unreachable]
url = http://127.0.0.1:$unreachable
request_timeout = 1s
[cluster.demo]
cluster_id = demo
region = us-east-1
management_url = $management
scheme = http
refresh_interval = 1s
request_timeout = 1s
[rule.budgeted]
endpoints = budget
max_elapsed = 30s
max_cancels_per_minute = 1
[rule.long]
max_elapsed = 30s
[notify.hook]
webhook = http://127.0.0.1:$unreachable/hook
on = cancelled, budget_exhausted
batch_window = 100ms
timeout = 500ms
EOF
chmod 0600 "$config"

# Three offenders on `budget`: one cancel, two held back by the budget.
for i in 1 2 3; do inject "${sim_ports[1]}" "bbbbbbbb-0000-4000-8000-00000000000$i" $((600000 + i)); done
# One on the cluster's instance, whose cancels fail.
inject "$cluster_port" "cccccccc-0000-4000-8000-000000000001" 600000

# Made-up keys in the AWS documentation's example form: the simulator does not check signatures.
AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
  AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true \
  "$watchdog" --config "$config" >"$work/watchdog.log" 2>&1 &
watchdog_pid=$!
pids+=("$watchdog_pid")
listening() {
  kill -0 "$watchdog_pid" 2>/dev/null || fail "neptune-watchdog exited"
  grep -qE 'metrics on http://127.0.0.1:[0-9]+' "$work/watchdog.log"
}
wait_for 30 "the daemon's metrics listener" listening
metrics_port=$(grep -oE 'metrics on http://127.0.0.1:[0-9]+' "$work/watchdog.log" | head -n1 | sed 's/.*://')
metrics() { curl -sf "http://127.0.0.1:$metrics_port/metrics"; }
exports() {  # SERIES-PREFIX
  metrics | grep -q "^$1"
}
wait_for 30 "a cancel on budget" exports 'neptune_watchdog_cancels_total{endpoint="budget"'
wait_for 30 "a budget exhaustion" exports 'neptune_watchdog_budget_exhaustions_total{endpoint="budget"'
wait_for 30 "poll errors of unreachable" exports 'neptune_watchdog_poll_errors_total{endpoint="unreachable"'
wait_for 30 "the cluster's instances" exports 'neptune_watchdog_cluster_instances{cluster="demo"} 1'
wait_for 30 "the replica acting" exports 'neptune_watchdog_ha_member{group="monitoring",replica="r1"} 1'
wait_for 30 "a notification given up" exports 'neptune_watchdog_notifications_failed_total{sink="hook"} [1-9]'
wait_for 30 "a failed cancel" exports 'neptune_watchdog_decisions_total{endpoint="demo/demo-instance-1",.*outcome="failed"}'

echo "== promtool check metrics"
metrics >"$work/metrics.txt" || fail "GET /metrics"
promtool check metrics <"$work/metrics.txt" || fail "promtool check metrics found problems in /metrics"

# --- Prometheus ------------------------------------------------------------------------------
echo "== prometheus"
# The shipped rules, every `for:` cut to 2s.
sed -E 's/^( +for: ).*/\12s/' "$rules" >"$work/rules.yml"
promtool check rules "$work/rules.yml" >/dev/null || fail "the rules with shorter for: do not load"
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $work/rules.yml
scrape_configs:
  - job_name: neptune-watchdog
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
EOF
prometheus_started=false
for attempt in 1 2 3; do
  prom_port=$(free_port)
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
  prom_pid=$!
  for _ in $(seq 100); do
    if curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1; then
      prometheus_started=true
      break
    fi
    kill -0 "$prom_pid" 2>/dev/null || break
    sleep 0.2
  done
  if $prometheus_started; then
    pids+=("$prom_pid")
    break
  fi
  kill "$prom_pid" 2>/dev/null || true
  wait "$prom_pid" 2>/dev/null || true
done
$prometheus_started || fail "prometheus did not start on loopback"
api=http://127.0.0.1:$prom_port/api/v1

query() {  # EXPR: prints the API's JSON answer
  curl -sf -G --data-urlencode "query=$1" "$api/query"
}
scraped() { [ "$(query 'up{job="neptune-watchdog"}' | jq -r '.data.result[0].value[1]')" = 1 ]; }
wait_for 30 "Prometheus scraping the daemon" scraped

alert_state() {  # ALERTNAME: firing, pending, or nothing
  curl -sf "$api/alerts" | jq -r --arg name "$1" '[.data.alerts[] | select(.labels.alertname == $name) | .state] | first // ""'
}
alert_is() { [ "$(alert_state "$1")" = "$2" ]; }

# The endpoint that never answers is the only one reported as not polled.
not_polled() {
  curl -sf "$api/alerts" |
    jq -r '[.data.alerts[] | select(.labels.alertname == "NeptuneWatchdogEndpointNotPolled" and .state == "firing") | .labels.endpoint] | sort | join(",")'
}
not_polled_is_unreachable() { [ "$(not_polled)" = unreachable ]; }
wait_for 30 "NeptuneWatchdogEndpointNotPolled firing for endpoint unreachable" not_polled_is_unreachable
alert_is NeptuneWatchdogCancellingPaused "" || fail "NeptuneWatchdogCancellingPaused is $(alert_state NeptuneWatchdogCancellingPaused) before any pause"

echo "== pause cancelling: the audit log becomes /dev/full"
rm -rf "$work/logs"
ln -s /dev "$work/logs"
reopens_before=$(grep -c 'SIGUSR1: ' "$work/watchdog.log" || true)
kill -USR1 "$watchdog_pid"
# The daemon takes the signal on its own time: the reopen is done when it says so (a fixed wait
# was too short on a loaded machine, and the offender's record then went to the old file).
reopened() { (($(grep -c 'SIGUSR1: ' "$work/watchdog.log" || true) > reopens_before)); }
wait_for 30 "the daemon reopening its audit log" reopened
# An offender on `writer`: its cancel's record cannot be written, so cancelling pauses.
inject "${sim_ports[0]}" "aaaaaaaa-0000-4000-8000-000000000001" 600000
wait_for 30 "cancelling_paused 1" exports 'neptune_watchdog_cancelling_paused 1'
wait_for 30 "NeptuneWatchdogCancellingPaused firing" alert_is NeptuneWatchdogCancellingPaused firing
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics_port/healthz")" = 503 ] ||
  fail "/healthz does not answer 503 while cancelling is paused"

echo "== resume: the audit log is writable again"
rm "$work/logs"
mkdir "$work/logs"
kill -USR1 "$watchdog_pid"
wait_for 30 "cancelling_paused 0" exports 'neptune_watchdog_cancelling_paused 0'
wait_for 30 "NeptuneWatchdogCancellingPaused gone" alert_is NeptuneWatchdogCancellingPaused ""
# The cancel held back is sent now.
wait_for 30 "the writer's offender cancelled" exports 'neptune_watchdog_cancels_total{endpoint="writer"'

# --- Every expression, every name -----------------------------------------------------------
echo "== every rule, every expression, every series they name"
# Three more evaluations, so that every recording rule has seen the latest series.
sleep 3
# The rules as Prometheus loaded them: each evaluated without error.
curl -sf "$api/rules" >"$work/rules.json" || fail "GET /api/v1/rules"
loaded=$(jq '[.data.groups[].rules[]] | length' "$work/rules.json")
shipped=$(grep -cE '^\s+- (alert|record):' "$rules")
[ "$loaded" = "$shipped" ] || fail "Prometheus loaded $loaded rules, the file has $shipped"
bad=$(jq -r '.data.groups[].rules[] | select(.health != "ok") | "\(.name): \(.health) \(.lastError // "")"' "$work/rules.json")
[ -z "$bad" ] || fail "rules that do not evaluate: $bad"

# Each expression of the rules (as loaded) and of the dashboard (its variables set to match
# everything), through the query API.
jq -r '.data.groups[].rules[].query' "$work/rules.json" >"$work/expressions.txt"
jq -r '.. | objects | select(has("expr")) | .expr' "$dashboard" |
  sed -e 's/\$endpoint/.*/g' -e 's/\$__rate_interval/1m/g' >>"$work/expressions.txt"
panels=$(jq '[.. | objects | select(has("expr"))] | length' "$dashboard")
((panels > 0)) || fail "the dashboard has no expression"
checked=0
while IFS= read -r expr; do
  [ -n "$expr" ] || continue
  grep -q '\$' <<<"$expr" && fail "expression with an unknown variable: $expr"
  answer=$(curl -s -G --data-urlencode "query=$expr" "$api/query")
  [ "$(jq -r .status <<<"$answer")" = success ] || fail "query failed: $expr: $answer"
  checked=$((checked + 1))
done <"$work/expressions.txt"
echo "$checked expressions answered"

# Each dashboard target answers with series here, and each label its legend shows is set on
# every one of them: a label the daemon renamed fails here.
while IFS=$'\t' read -r expr legend; do
  expr=$(sed -e 's/\$endpoint/.*/g' -e 's/\$__rate_interval/1m/g' <<<"$expr")
  grep -qE "neptune_watchdog_($no_samples_here)\b" <<<"$expr" && continue
  answer=$(query "$expr") || fail "query failed: $expr"
  [ "$(jq '.data.result | length' <<<"$answer")" -gt 0 ] || fail "dashboard expression answers nothing: $expr"
  for label in $(grep -oE '\{\{ *[a-z_]+ *\}\}' <<<"$legend" | tr -d '{} '); do
    unset=$(jq --arg l "$label" '[.data.result[] | select((.metric[$l] // "") == "")] | length' <<<"$answer")
    [ "$unset" = 0 ] || fail "dashboard expression $expr: its legend's label $label is missing on $unset series"
  done
done < <(jq -r '.. | objects | select(has("expr")) | [.expr, (.legendFormat // "")] | @tsv' "$dashboard")

# Every label name the rules and the dashboard group, join or match on, or print in an
# annotation, is one the daemon exports (job and instance are Prometheus's own).
metrics >"$work/metrics.txt"
exported_labels=$(grep -v '^#' "$work/metrics.txt" | grep -oE '[{,][a-z_]+=' | tr -d '{,=' | sort -u)
used_labels=$(
  {
    grep -ohE '(by|on|without|group_left|group_right) \([a-z_, ]*\)' "$rules" "$dashboard" |
      sed -E 's/.*\((.*)\)/\1/' | tr ', ' '\n\n'
    grep -ohE '\$labels\.[a-z_]+' "$rules" | cut -d. -f2
    grep -ohP '[{,]\s*\K[a-z_]+(?=\s*(=~|!=|!~|=))' "$rules" "$dashboard"
  } | grep -vxE '|job|instance' | sort -u
)
for label in $used_labels; do
  grep -qx "$label" <<<"$exported_labels" || fail "label $label is used by the rules or the dashboard but the daemon exports no series with it"
done
echo "$(wc -w <<<"$used_labels") label names found"

# Every daemon series named by the rules or the dashboard, and every recorded series, exists.
# (A recorded series is named neptune_watchdog:... or neptune_watchdog_LEVEL:...: not the
# daemon's.)
names=$( (grep -ohP 'neptune_watchdog_[a-z0-9_]+(?![a-z0-9_:])' "$rules" "$dashboard"; jq -r '.data.groups[].rules[] | select(.type == "recording") | .name' "$work/rules.json") | sort -u)
metrics >"$work/metrics.txt"
missing=()
for name in $names; do
  if grep -qE "^neptune_watchdog_($no_samples_here)\$" <<<"$name"; then
    grep -q "^# TYPE $name " "$work/metrics.txt" || missing+=("$name")
    continue
  fi
  n=$(query "$name" | jq '.data.result | length')
  [ "$n" -gt 0 ] || missing+=("$name")
done
((${#missing[@]} == 0)) || fail "series named by the rules or the dashboard that Prometheus does not have: ${missing[*]}"
echo "$(wc -w <<<"$names") series names found"

# Every family of /metrics is used, but for those listed at the top.
for family in $(grep -E '^# TYPE ' "$work/metrics.txt" | awk '{print $3}' | sed 's/^neptune_watchdog_//'); do
  grep -qE "^($unused_families)\$" <<<"$family" && continue
  grep -qE "neptune_watchdog_${family}(_bucket|_sum|_count)?\\b" "$rules" "$dashboard" ||
    fail "neptune_watchdog_$family is exported but neither the rules nor the dashboard use it"
done

echo "monitoring kit: PASS"
