#!/usr/bin/env bash
# The PostgreSQL store's ListPayments first page at 100,000 payments (issue 16's goal: <= 10 ms), measured with
# pgbench on a throwaway cluster: the schema is the store's own migrations, the queries are the store's list SQL
# (PostgresPaymentStore.ListAsync with PaymentRow.Columns: keep them in step), one client, 5 s each.
#   bash tests/Bakong.Benchmarks/postgres-first-page.sh [payments]
# Needs Debian's postgresql server binaries; under root the cluster runs as the postgres user.
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-100000}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/bakong-pg-bench-XXXXXX)
run() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir" && chmod 755 "$dir"
run "$bin/initdb" -D "$dir/data" -U bakong --auth=trust --no-locale -E UTF8 --no-sync >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on" -w -l "$dir/server.log" start >/dev/null
trap 'run "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; rm -rf "$dir"' EXIT
psql() { "$bin/psql" -h 127.0.0.1 -p "$port" -U bakong -d postgres -v ON_ERROR_STOP=1 -q "$@"; }

psql -f src/Bakong.Storage.PostgreSql/Migrations/0001_payments.sql
# 20 terminals; 80 % paid, 10 % expired, 5 % cancelled, 5 % pending; one creation a second; each settled one has its
# webhook row; the history as the store writes it.
psql -v count="$count" <<'SQL'
INSERT INTO payments (id, request_id, params_hash, terminal_id, currency, amount_minor, order_ref, expires_in,
    store_label, terminal_label, bill_number, receiving_account, qr, md5, create_time, expire_time, state, version,
    update_time, settle_time, next_check, check_count, last_check_time, reconciliation_count, failure_reason,
    bakong_transaction, review, events)
SELECT 'pay' || lpad(i::text, 19, '0'), 'req-' || i, 'hash', 'till-' || (i % 20), 'KHR', 5000, 'order-' || i,
    3000000000, 'Store', 'Till', 'B' || i, 'shop@aclb', repeat('q', 180), md5(i::text),
    639000000000000000 + i * 10000000::bigint, 639000000000000000 + i * 10000000::bigint + 3000000000,
    s.state, 3, 639000000000000000 + i * 10000000::bigint, NULL,
    CASE WHEN s.state = 'Pending' THEN 639000000000000000 + i * 10000000::bigint END, 2, NULL, 0, NULL, NULL, NULL,
    '[{"version":1,"time":639000000000000000,"type":"Created","state":"Pending","detail":null},{"version":3,"time":639000000000000000,"type":"Paid","state":"Paid","detail":"aa11"}]'
FROM generate_series(1, :count) i,
    LATERAL (SELECT CASE WHEN i % 20 < 16 THEN 'Paid' WHEN i % 20 < 18 THEN 'Expired' WHEN i % 20 < 19 THEN 'Cancelled' ELSE 'Pending' END AS state) s;
INSERT INTO webhook_outbox (event_id, payment_id, position, type, version, state, create_time, attempts, delivered_time)
SELECT 'evt' || p.id, p.id, 0, 'payment.paid', 3, p.state, p.create_time, 1, p.create_time FROM payments p WHERE p.state <> 'Pending';
VACUUM ANALYZE;
SQL

columns="p.id, p.request_id, p.params_hash, p.terminal_id, p.currency, p.amount_minor, p.order_ref, p.expires_in,
 p.store_label, p.terminal_label, p.bill_number, p.receiving_account, p.qr, p.md5, p.create_time, p.expire_time,
 p.state, p.version, p.update_time, p.settle_time, p.next_check, p.check_count, p.last_check_time,
 p.reconciliation_count, p.failure_reason, p.bakong_transaction::text, p.review::text, p.events::text,
 (SELECT json_agg(json_build_array(o.event_id, o.type, o.version, o.state, o.create_time, o.attempts,
   o.next_attempt_time, o.delivered_time, o.last_error) ORDER BY o.position)::text
  FROM webhook_outbox o WHERE o.payment_id = p.id)"
declare -A queries=(
  [1-all]=""
  [2-terminal]="WHERE p.terminal_id = 'till-7'"
  [3-state-pending]="WHERE p.state = 'Pending'"
  [4-terminal-and-state]="WHERE p.terminal_id = 'till-19' AND p.state = 'Pending'"
  [5-all-page-500]="WHERE (p.create_time, p.id) < (639000000000000000 + ($count - 25000) * 10000000::bigint, 'pay')"
)
echo "payments: $(psql -At -c 'SELECT count(*) FROM payments')   server: PostgreSQL $("$bin/postgres" --version | awk '{print $3}')   cores: $(nproc)"
for name in $(printf '%s\n' "${!queries[@]}" | sort); do
  printf 'SELECT %s FROM payments p %s ORDER BY p.create_time DESC, p.id DESC LIMIT 51;\n' "$columns" "${queries[$name]}" > "$dir/q.sql"
  latency=$("$bin/pgbench" -h 127.0.0.1 -p "$port" -U bakong -n -M prepared -c 1 -T 5 -f "$dir/q.sql" postgres 2>/dev/null | awk -F'= ' '/latency average/ {print $2}')
  plan=$(psql -At -c "EXPLAIN $(tr '\n' ' ' < "$dir/q.sql")" | grep -o 'Index Scan Backward using [a-z_]*' | head -1)
  printf '%-22s %-12s %s\n' "$name" "$latency" "$plan"
done
