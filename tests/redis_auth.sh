#!/usr/bin/env bash
# Redis AUTH: against a redis-server with requirepass and an ACL user, the
# consumer counts with the password in the URL, from REDIS_PASSWORD, from
# redis.password in a config file, and as an ACL user (username and
# password in the URL); wrong or missing credentials stop a run that ends
# by itself at start with a clear error naming where the credentials come
# from (exit 69); no secret ever appears in its logs or --help.
source "$(dirname "$0")/lib/services.sh"

pw=s3cr3t-Pw-4242
upw=u5er-Pw-9191
HW_REDIS_CLI_AUTH="-a $pw --no-auth-warning" hw_start_redis --requirepass "$pw"
port=$HW_REDIS_PORT
redis-cli -p "$port" -a "$pw" --no-auth-warning ACL SETUSER hwuser on ">$upw" '~*' '&*' '+@all' >/dev/null ||
  hw_fail "cannot create the ACL user"
hw_start_broker --partitions 2
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
events=$HW_SRC_DIR/examples/scenario.ndjson
check() { # check PREFIX: every key equals the model
  "$HW_PY" "$HW_SRC_DIR/tests/lib/model.py" check --redis-port "$port" --password "$pw" \
    --prefix "$1" --bases "$HW_BASES" --groups "$HW_GROUPS" "$events" || hw_fail "under $1 the counters differ"
}

hw_note "password in the URL"
HW_REDIS_URL="redis://:$pw@127.0.0.1:$port" hw_consume_all --group a --prefix a:
check a:
hw_note "password from REDIS_PASSWORD"
HW_REDIS_URL="redis://127.0.0.1:$port" REDIS_PASSWORD=$pw hw_consume_all --group b --prefix b:
check b:
hw_note "password from the config file"
printf 'redis.url = redis://127.0.0.1:%s\nredis.password = %s\n' "$port" "$pw" >"$HW_TMP/auth.conf"
chmod 600 "$HW_TMP/auth.conf"
hw_consume_all -c "$HW_TMP/auth.conf" --group c --prefix c:
check c:
hw_note "ACL user"
HW_REDIS_URL="redis://hwuser:$upw@127.0.0.1:$port" hw_consume_all --group d --prefix d:
check d:

hw_note "wrong or missing credentials: exit 69 at start, clearly"
for url in "redis://:wrong-Pw-777@127.0.0.1:$port" "redis://127.0.0.1:$port" "redis://hwuser:wrong-Pw-777@127.0.0.1:$port"; do
  rc=0
  HW_CONSUMER_TIMEOUT=20 HW_REDIS_URL=$url hw_consumer --until-caught-up --group e --prefix e: || rc=$?
  [[ $rc -eq 69 ]] || hw_fail "exit $rc with bad credentials ($url without the secret), want 69"
  grep -q 'Redis refused the credentials: .*\(WRONGPASS\|NOAUTH\).*REDIS_PASSWORD' "$HW_CONSUMER_LOG" ||
    hw_fail "no clear error: $(tail -2 "$HW_CONSUMER_LOG")"
done
"$HW_BIN_DIR/hirewire-consumer" --help >"$HW_TMP/help.txt"
for secret in "$pw" "$upw" wrong-Pw-777; do
  if grep -rq -- "$secret" "$HW_TMP"/consumer-*.log "$HW_TMP/help.txt"; then
    hw_fail "a secret appears in the logs or --help"
  fi
done
echo PASS
