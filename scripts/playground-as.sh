#!/usr/bin/env bash
# Runs the Microsoft 365 Agents Playground as one of an engagement's four
# people, so that you can try mvmbot as each role in turn:
#
#   bash scripts/playground-as.sh partner|customer|mst|mvm
#
# Every run uses the same tenant, the same people (with the same ids) and
# the same group chat, "Contoso migration"; only the Playground's current
# user changes. The bot keeps the engagement in its database (./mvmbot.db
# by default), so what the partner set up is there when the customer
# comes. Start the bot first (go run ./cmd/mvmbot). BOT_PORT (3978) and
# PLAYGROUND_PORT (56150) choose the ports; CONFIG_ONLY=1 writes the
# Playground's config file and prints its path without starting it.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
role=${1:-}
playground_version=0.2.28
tools="$root/.tools/playground"

# role|id|name|user principal name: the four roles, then two more people
# (the Playground wants at least five users besides the current one).
people=(
  "partner|user-frp|Pat Partner|pat@partner.example"
  "customer|user-customer|Cy Customer|cy@contoso.example"
  "mst|user-mst|Mo Support|mo@microsoft.example"
  "mvm|user-mvm|Vi Velocity|vi@microsoft.example"
  "observer|user-observer|Ada Observer|ada@contoso.example"
  "admin|user-admin|Lee Admin|lee@contoso.example"
)

user_yaml() { # id name upn n indent: one user, every line indented
  local given=${2%% *} sur=${2#* } i=$5
  printf '%sid: %s\n%sname: %s\n%suserPrincipleName: %s\n%saadObjectId: 00000000-0000-0000-0000-0000000001%02d\n%sgivenName: %s\n%ssurname: %s\n%semail: %s\n' \
    "$i" "$1" "$i" "$2" "$i" "$3" "$i" "$4" "$i" "$given" "$i" "$sur" "$i" "$3"
}

current=""
others=""
n=0
for p in "${people[@]}"; do
  IFS='|' read -r key id name upn <<<"$p"
  n=$((n + 1))
  if [ "$key" = "$role" ]; then
    current=$(user_yaml "$id" "$name" "$upn" "$n" "  ")
  else
    others+=$(user_yaml "$id" "$name" "$upn" "$n" "    " | sed '1s/^    /  - /')$'\n'
  fi
done
if [ -z "$current" ] || [ "$role" = observer ] || [ "$role" = admin ]; then
  echo "usage: $0 partner|customer|mst|mvm" >&2
  exit 2
fi

# The Playground reads .m365agentsplayground.yml in the folder it starts
# in (it has no option for it): one folder per role.
dir="$tools/as-$role"
mkdir -p "$dir"
config="$dir/.m365agentsplayground.yml"
cat >"$config" <<YAML
# Written by scripts/playground-as.sh: the Playground as the $role.
version: "0.1.1"
tenantId: 00000000-0000-0000-0000-000000000001
bot:
  id: 00000000-0000-0000-0000-000000000011
  name: Migration Assistant
currentUser:
$current
users:
${others%$'\n'}
personalChat:
  id: personal-chat-$role
groupChat:
  id: contoso-migration-chat
  name: Contoso migration
team:
  id: contoso-team
  name: Contoso
  aadGroupId: 00000000-0000-0000-0000-000000000031
  channels:
    - id: contoso-migration-channel
      name: Migration
YAML

if [ "${CONFIG_ONLY:-0}" = 1 ]; then
  echo "$config"
  exit 0
fi

if [ ! -x "$tools/node_modules/.bin/agentsplayground" ]; then
  echo "installing @microsoft/m365agentsplayground@$playground_version into $tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
    "@microsoft/m365agentsplayground@$playground_version" >/dev/null
fi
echo "the Playground as the $role: http://localhost:${PLAYGROUND_PORT:-56150} (config $config)"
# It writes a devTools/ log folder where it runs.
cd "$dir"
exec "$tools/node_modules/.bin/agentsplayground" -e "http://localhost:${BOT_PORT:-3978}/api/messages" \
  -c msteams -p "${PLAYGROUND_PORT:-56150}"
