# Shared by cluster/up and cluster/down (sourced, not run).
#
# The state file (<state dir>/cluster.state) has one line per process started, in start order:
#   <pid> <start time in clock ticks since boot> <name> <port>
# The start time makes sure a PID that was reused by another program is never signalled.

CLUSTER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEFAULT_STATE_DIR="$CLUSTER_ROOT/cluster/run"

say() { printf '%s\n' "$*"; }
fail() {
    printf '%s: %s\n' "$PROGRAM" "$*" >&2
    exit 1
}

# process_state PID: prints "<state> <start time>" from /proc/PID/stat; fails when there is no such process.
process_state() {
    local line fields
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
    # The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
    read -r -a fields <<<"${line##*) }"
    printf '%s %s\n' "${fields[0]}" "${fields[19]}"
}

# is_running PID START: true while that very process (same start time) exists and has not exited.
is_running() {
    local state start
    read -r state start < <(process_state "$1") || return 1
    [[ $start == "$2" && $state != Z && $state != X ]]
}

# start_time PID: the process's start time, for the state file.
start_time() {
    local state start
    read -r state start < <(process_state "$1") || return 1
    printf '%s\n' "$start"
}

# live_processes STATE_FILE: prints the state file's lines whose process still runs.
live_processes() {
    local pid start name port
    [[ -f $1 ]] || return 0
    while read -r pid start name port; do
        [[ -n $pid ]] && is_running "$pid" "$start" && printf '%s %s %s %s\n' "$pid" "$start" "$name" "$port"
    done <"$1"
    return 0
}

# stop_process PID START NAME [GRACE_SECONDS]: SIGTERM, then SIGKILL after the grace period (default 15 s).
# Waits until the process is gone. A child of this shell is reaped, so it does not linger as a zombie.
stop_process() {
    local pid=$1 start=$2 name=$3 grace=${4:-15} waited=0
    is_running "$pid" "$start" || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    # These are other processes (after --detach not even our children): nothing to await but their exit.
    while is_running "$pid" "$start"; do
        if ((waited >= grace * 10)); then
            say "$PROGRAM: $name (pid $pid) did not stop within ${grace}s of SIGTERM; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            grace=$((grace + 5))
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "$pid" 2>/dev/null || true
}

# stop_all STATE_FILE: stops the state file's live processes, the last started first (nodes, then the
# broker, so the nodes' goodbyes still reach it), and removes the file. Prints what it stopped.
stop_all() {
    local state_file=$1 lines=() line pid start name port i
    mapfile -t lines < <(live_processes "$state_file")
    for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
        read -r pid start name port <<<"${lines[i]}"
        stop_process "$pid" "$start" "$name"
        say "stopped $name (pid $pid, port $port)"
    done
    rm -f "$state_file"
}
