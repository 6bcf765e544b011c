#!/usr/bin/env bash
# Mosquitto loads plugins RTLD_GLOBAL: a plugin that exported its copy of core/ would interpose
# on the other plugins' copies. Each plugin must export exactly the three v5 entry points.
set -euo pipefail
expected=$'mosquitto_plugin_cleanup\nmosquitto_plugin_init\nmosquitto_plugin_version'
status=0
for plugin in "$@"; do
    exported=$(nm -D --defined-only "$plugin" | awk '{print $3}' | sort)
    if [ "$exported" != "$expected" ]; then
        echo "FAIL $plugin exports:"
        echo "$exported"
        status=1
    else
        echo "ok   $plugin exports only the plugin entry points"
    fi
done
exit "$status"
