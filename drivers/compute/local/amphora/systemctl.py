#!/usr/bin/python3
"""The `systemctl` of a local amphora: just enough systemd for Octavia's agent.

Bind-mounted over /usr/bin/systemctl inside each amphora. The agent (and /usr/sbin/service, which
turns `service X start` into systemctl calls because /run/systemd/system exists) calls:
    enable|disable <unit>, list-unit-files --full --type=socket, -p CanReload show <unit>,
    --quiet is-system-running, start|stop|reload|restart <unit>
and the units it writes to /usr/lib/systemd/system use: Requires= (the amphora-netns oneshot),
Environment=, ExecStartPre=, ExecStart= (with `-` prefixes and systemd's quoting), ExecReload= with
$MAINPID, Type=oneshot|simple|notify|forking (+ PIDFile=), RemainAfterExit=, Restart=,
KillMode=mixed|process|control-group, LimitNOFILE=.

A started service is kept by a supervisor: a child of this command that outlives it (reparented to the
amphora's PID 1), a child subreaper standing for the unit's cgroup, which holds the service's main
process, reads its sd_notify socket (Type=notify: `start` returns once READY=1 arrived), reads its
PIDFile (Type=forking), restarts it (Restart=), and stops it (stop: SIGTERM to the supervisor).
State lives in /run/systemctl/ (the amphora's own tmpfs).

Python 3 standard library only (Debian's /usr/bin/python3, like the agent).
"""
import ctypes
import json
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import time

# Where the agent writes its units (octavia's consts.SYSTEMD_DIR), private to each amphora.
UNIT_DIRS = ('/usr/lib/systemd/system',)
STATE_DIR = '/run/systemctl'
LOG_DIR = '/var/log/units'
CALLS_LOG = '/var/log/systemctl-calls.log'
BASE_ENV = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG': 'C.UTF-8'}
START_TIMEOUT = 60.0
STOP_TIMEOUT_CAP = 10.0
START_LIMIT = (5, 10.0)  # systemd's default StartLimitBurst / StartLimitIntervalSec
PR_SET_CHILD_SUBREAPER = 36
libc = ctypes.CDLL(None, use_errno=True)


class Failed(Exception):
    pass


# ---- unit files ------------------------------------------------------------------------------------

def unit_name(name):
    return name if '.' in name else name + '.service'


def split_words(text):
    """systemd's command-line splitting: whitespace separates words; '...' and "..." quote; a
    backslash escapes (C-style, also inside quotes: the agent's netns unit relies on \\' in '...')."""
    words, cur, quote, have = [], [], None, False
    escapes = {'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', "'": "'", '"': '"', ' ': ' ', 's': ' '}
    i = 0
    while i < len(text):
        c = text[i]
        if c == '\\' and i + 1 < len(text):
            cur.append(escapes.get(text[i + 1], text[i + 1]))
            have = True
            i += 2
            continue
        if quote:
            if c == quote:
                quote = None
            else:
                cur.append(c)
        elif c in '\'"':
            quote, have = c, True
        elif c.isspace():
            if have:
                words.append(''.join(cur))
                cur, have = [], False
        else:
            cur.append(c)
            have = True
        i += 1
    if quote:
        raise Failed('unterminated quote in: %s' % text)
    if have:
        words.append(''.join(cur))
    return words


class Unit:
    def __init__(self, name):
        self.name = unit_name(name)
        self.path = next((os.path.join(d, self.name) for d in UNIT_DIRS if os.path.exists(os.path.join(d, self.name))), None)
        if not self.path:
            raise Failed('Unit %s not found.' % self.name)
        self.entries = {}  # (section, key) -> [values]
        section, pending = None, ''
        for raw in open(self.path, encoding='utf-8'):
            line = pending + raw.rstrip('\n')
            if line.endswith('\\'):
                pending = line[:-1] + ' '
                continue
            pending = ''
            s = line.strip()
            if not s or s[0] in '#;':
                continue
            if s.startswith('[') and s.endswith(']'):
                section = s[1:-1]
                continue
            key, _, value = s.partition('=')
            self.entries.setdefault((section, key.strip()), []).append(value.strip())

    def get(self, key, default=None, section='Service'):
        values = self.entries.get((section, key))
        return values[-1] if values else default

    def all(self, key, section='Service'):
        out = []
        for v in self.entries.get((section, key), []):
            if v == '':
                out = []  # an empty assignment resets the list, as in systemd
            else:
                out.append(v)
        return out

    @property
    def type(self):
        return self.get('Type', 'simple')

    def environment(self):
        env = {}
        for line in self.all('Environment'):
            for word in split_words(line):
                k, _, v = word.partition('=')
                env[k] = v
        return env

    def commands(self, key, env):
        """[(ignore_failure, argv)] with systemd's $VAR (split, as a word of its own) and ${VAR}."""
        out = []
        for line in self.all(key):
            ignore = False
            while line and line[0] in '-@+!:':
                ignore = ignore or line[0] == '-'
                line = line[1:]
            argv = []
            for word in split_words(line):
                if word.startswith('$') and word[1:].isidentifier() and word[1:] in env:
                    argv.extend(env[word[1:]].split())
                    continue
                for k, v in env.items():
                    word = word.replace('${%s}' % k, v)
                argv.append(word.replace('$$', '$'))
            out.append((ignore, argv))
        return out


# ---- state -----------------------------------------------------------------------------------------

def state_path(name):
    return os.path.join(STATE_DIR, unit_name(name) + '.json')


def read_state(name):
    try:
        with open(state_path(name)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def write_state(name, state):
    os.makedirs(STATE_DIR, exist_ok=True)
    tmp = state_path(name) + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(state, f)
    os.replace(tmp, state_path(name))


def clear_state(name):
    try:
        os.unlink(state_path(name))
    except FileNotFoundError:
        pass


def alive(pid):
    if not pid:
        return False
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (FileNotFoundError, ProcessLookupError):
        return False


def is_active(name):
    st = read_state(name)
    if not st:
        return False
    if st.get('supervisor'):
        return alive(st['supervisor'])
    return st.get('active', False)


def unit_log(name):
    os.makedirs(LOG_DIR, exist_ok=True)
    return open(os.path.join(LOG_DIR, unit_name(name) + '.log'), 'ab', buffering=0)


def run_commands(unit, key, env, logf):
    for ignore, argv in unit.commands(key, env):
        logf.write(('+ %s\n' % ' '.join(argv)).encode())
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env={**BASE_ENV, **env})
        logf.write(r.stdout)
        if r.returncode != 0 and not ignore:
            raise Failed('%s: %s exited with %d: %s' % (unit.name, argv[0], r.returncode,
                                                        r.stdout.decode(errors='replace').strip()))


# ---- start -----------------------------------------------------------------------------------------

def start(name):
    unit = Unit(name)
    if is_active(unit.name):
        return
    for dep in unit.all('Requires', section='Unit'):
        for d in dep.split():
            start(d)
    env = unit.environment()
    if unit.type == 'oneshot':
        with unit_log(unit.name) as logf:
            run_commands(unit, 'ExecStartPre', env, logf)
            run_commands(unit, 'ExecStart', env, logf)
        if unit.get('RemainAfterExit', 'no') in ('yes', 'true', '1'):
            write_state(unit.name, {'active': True, 'type': 'oneshot'})
        return
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 1
        try:
            Supervisor(unit, env, w).run()
            code = 0
        except BaseException as e:  # the supervisor must never return into the caller's code
            try:
                os.write(w, ('fail:%s' % e).encode())
            except OSError:
                pass
        finally:
            os._exit(code)
    os.close(w)
    msg = b''
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        msg += chunk
    os.close(r)
    text = msg.decode(errors='replace')
    if not text.startswith('ok'):
        raise Failed('Job for %s failed: %s' % (unit.name, text[5:] if text.startswith('fail:') else 'supervisor died'))


class Supervisor:
    """Holds one started service. It is a child subreaper: whatever the service forks and orphans
    (a Type=forking daemon, haproxy's workers) is reparented to it, so "the service's processes" -
    what systemd keeps in the unit's cgroup - are its descendants, and it reaps them all."""

    def __init__(self, unit, env, ready_fd):
        self.unit, self.env, self.ready_fd = unit, env, ready_fd
        self.main_pid = None
        self.exited = {}  # pid -> exit code, for the children reaped so far
        self.procs = []   # Popen objects kept so subprocess never reaps them behind our back
        self.stopping = False
        self.starts = []

    def report(self, text):
        if self.ready_fd is not None:
            os.write(self.ready_fd, text.encode())
            os.close(self.ready_fd)
            self.ready_fd = None

    def run(self):
        os.setsid()
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        self.logf = unit_log(self.unit.name)
        # Detach from the caller's pipes: the agent waits for their end of file.
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(self.logf.fileno(), 1)
        os.dup2(self.logf.fileno(), 2)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGTERM, self.on_term)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.notify = None
        if self.unit.type == 'notify':
            os.makedirs(STATE_DIR, exist_ok=True)
            path = os.path.join(STATE_DIR, self.unit.name + '.notify')
            if os.path.exists(path):
                os.unlink(path)
            self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.notify.bind(path)
            self.notify.setblocking(False)
            self.env = {**self.env, 'NOTIFY_SOCKET': path}
        try:
            self.start_main()
        except Failed as e:
            self.kill_all(signal.SIGKILL)
            self.report('fail:%s' % e)
            return
        self.loop(wake_r)

    def on_term(self, *_):
        self.stopping = True

    def set_limits(self):
        limit = self.unit.get('LimitNOFILE')
        if limit:
            # The host's hard limit may be lower than the unit asks (README: wall 4); take what there is.
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            want = hard if limit == 'infinity' else min(int(limit.split(':')[-1]), hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    def reap(self):
        """Reaps what has exited; False when no child is left at all (the "cgroup" is empty)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            self.exited[pid] = os.waitstatus_to_exitcode(status)

    def children(self):
        out = []
        for entry in os.listdir('/proc'):
            if entry.isdigit():
                try:
                    with open('/proc/%s/stat' % entry) as f:
                        if int(f.read().rsplit(')', 1)[1].split()[1]) == os.getpid():
                            out.append(int(entry))
                except (FileNotFoundError, ProcessLookupError, ValueError):
                    pass
        return out

    def kill_all(self, sig):
        for pid in self.children():
            try:
                os.killpg(pid, sig) if os.getpgid(pid) == pid else os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def spawn(self, argv):
        self.logf.write(('+ %s\n' % ' '.join(argv)).encode())
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.logf, stderr=self.logf,
                             env={**BASE_ENV, **self.env}, start_new_session=True, preexec_fn=self.set_limits)
        self.procs.append(p)
        return p.pid

    def wait_exit(self, pid, deadline):
        while pid not in self.exited:
            if time.monotonic() > deadline:
                raise Failed('%s did not exit after %ds' % (self.unit.name, START_TIMEOUT))
            self.reap()
            time.sleep(0.02)
        return self.exited.pop(pid)

    def start_main(self):
        now = time.monotonic()
        self.starts = [t for t in self.starts if now - t < START_LIMIT[1]] + [now]
        if len(self.starts) > START_LIMIT[0]:
            raise Failed('start request repeated too quickly')
        run_commands(self.unit, 'ExecStartPre', self.env, self.logf)
        commands = self.unit.commands('ExecStart', self.env)
        if not commands:
            raise Failed('%s has no ExecStart' % self.unit.name)
        deadline = time.monotonic() + START_TIMEOUT
        pid = self.spawn(commands[0][1])
        if self.unit.type == 'forking':
            code = self.wait_exit(pid, deadline)
            if code != 0:
                raise Failed('%s exited with %d' % (commands[0][1][0], code))
            self.main_pid = self.read_pid_file(deadline)
        else:
            self.main_pid = pid
            if self.unit.type == 'notify':
                self.wait_ready(deadline)
        self.save('active')
        self.report('ok')

    def read_pid_file(self, deadline):
        path = self.unit.get('PIDFile')
        while time.monotonic() < deadline:
            left = self.reap()
            try:
                with open(path) as f:
                    pid = int(f.read().split()[0])
                if alive(pid):
                    return pid
            except (FileNotFoundError, ValueError, IndexError, TypeError):
                pass
            if not left:
                raise Failed('%s: its processes exited right after start (no live pid in PIDFile %s)' % (self.unit.name, path))
            time.sleep(0.05)
        raise Failed('%s: no live pid in PIDFile %s' % (self.unit.name, path))

    def read_notify(self):
        ready = False
        while self.notify:
            try:
                data = self.notify.recv(4096).decode(errors='replace')
            except BlockingIOError:
                return ready
            for line in data.splitlines():
                if line == 'READY=1':
                    ready = True
                elif line.startswith('MAINPID='):
                    self.main_pid = int(line[8:])
                    self.save('active')
        return ready

    def wait_ready(self, deadline):
        while time.monotonic() < deadline:
            select.select([self.notify], [], [], 0.1)
            if self.read_notify():
                return
            self.reap()
            if self.main_pid in self.exited:
                raise Failed('%s exited with %d before it was ready' % (self.unit.name, self.exited[self.main_pid]))
        raise Failed('%s was not ready after %ds' % (self.unit.name, START_TIMEOUT))

    def save(self, what):
        write_state(self.unit.name, {'supervisor': os.getpid(), 'mainPid': self.main_pid, 'type': self.unit.type, 'sub': what})

    def main_exited(self):
        self.reap()
        return self.main_pid in self.exited or not alive(self.main_pid)

    def signal_main(self, sig):
        try:
            os.kill(self.main_pid, sig)
        except ProcessLookupError:
            pass

    def loop(self, wake_r):
        restart = self.unit.get('Restart', 'no')
        while True:
            fds = [wake_r] + ([self.notify] if self.notify else [])
            select.select(fds, [], [], 0.5)
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
            self.read_notify()
            if self.stopping:
                self.stop()
                return
            if self.main_exited():
                code = self.exited.pop(self.main_pid, 0)
                self.logf.write(('main process exited with %s\n' % code).encode())
                if self.unit.get('KillMode', 'control-group') != 'process':
                    self.kill_all(signal.SIGKILL)
                if restart == 'always' or (restart == 'on-failure' and code != 0):
                    time.sleep(float(self.unit.get('RestartSec', '0.1').rstrip('s')))
                    try:
                        self.start_main()
                        continue
                    except Failed as e:
                        self.logf.write(('restart failed: %s\n' % e).encode())
                clear_state(self.unit.name)
                return

    def stop(self):
        mode = self.unit.get('KillMode', 'control-group')
        timeout = min(float(self.unit.get('TimeoutStopSec', '90').rstrip('s') or 90), STOP_TIMEOUT_CAP)
        if not self.main_exited():
            if mode == 'control-group':
                self.kill_all(signal.SIGTERM)
            self.signal_main(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while not self.main_exited() and time.monotonic() < deadline:
                time.sleep(0.05)
        if mode != 'process':
            deadline = time.monotonic() + 2
            while self.reap() and time.monotonic() < deadline:
                self.kill_all(signal.SIGKILL)
                time.sleep(0.02)
        clear_state(self.unit.name)


# ---- stop / reload / show --------------------------------------------------------------------------

def stop(name):
    name = unit_name(name)
    st = read_state(name)
    if not st:
        return
    if st.get('type') == 'oneshot':
        unit = Unit(name)
        with unit_log(name) as logf:
            run_commands(unit, 'ExecStop', unit.environment(), logf)
        clear_state(name)
        return
    sup = st.get('supervisor')
    if alive(sup):
        os.kill(sup, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_CAP + 5
        while alive(sup) and time.monotonic() < deadline:
            time.sleep(0.05)
    clear_state(name)


def reload(name):
    unit = Unit(name)
    st = read_state(unit.name)
    if not is_active(unit.name):
        raise Failed('Unit %s is not active, cannot reload.' % unit.name)
    if not unit.all('ExecReload'):
        raise Failed('Job type reload is not applicable for unit %s.' % unit.name)
    env = {**unit.environment(), 'MAINPID': str(st.get('mainPid', ''))}
    with unit_log(unit.name) as logf:
        run_commands(unit, 'ExecReload', env, logf)


def show(name, props):
    st = read_state(name) or {}
    active = is_active(name)
    try:
        unit = Unit(name)
        can_reload = 'yes' if unit.all('ExecReload') else 'no'
        load = 'loaded'
    except Failed:
        can_reload, load = 'no', 'not-found'
    values = {
        'Id': unit_name(name), 'LoadState': load, 'CanReload': can_reload, 'Triggers': '',
        'ActiveState': 'active' if active else 'inactive', 'SubState': st.get('sub', 'dead') if active else 'dead',
        'MainPID': str(st.get('mainPid', 0) if active else 0),
    }
    for p in props or values.keys():
        print('%s=%s' % (p, values.get(p, '')))


def main(argv):
    with open(CALLS_LOG, 'a') as f:
        f.write('%.3f %s\n' % (time.time(), ' '.join(argv)))
    quiet, props, sig, args = False, [], 'SIGTERM', []
    it = iter(argv)
    for a in it:
        if a in ('-q', '--quiet'):
            quiet = True
        elif a in ('-p', '--property'):
            props.extend(next(it).split(','))
        elif a.startswith('--property='):
            props.extend(a.split('=', 1)[1].split(','))
        elif a in ('-s', '--signal'):
            sig = next(it)
        elif a.startswith('--signal='):
            sig = a.split('=', 1)[1]
        elif a.startswith('-'):
            pass  # --no-block, --full, --type=..., --system, --no-pager: nothing to do here
        else:
            args.append(a)
    if not args:
        return 0
    verb, units = args[0], args[1:]
    try:
        if verb == 'start':
            for u in units:
                start(u)
        elif verb == 'stop':
            for u in units:
                stop(u)
        elif verb in ('restart', 'try-restart', 'reload-or-restart'):
            for u in units:
                if verb == 'restart' or is_active(u):
                    stop(u)
                    start(u)
        elif verb == 'reload':
            for u in units:
                reload(u)
        elif verb in ('is-active', 'status'):
            active = all(is_active(u) for u in units)
            if not quiet:
                print('active' if active else 'inactive')
            return 0 if active else 3
        elif verb == 'show':
            for u in units:
                show(u, props)
        elif verb == 'kill':
            for u in units:
                st = read_state(u) or {}
                if alive(st.get('mainPid')):
                    os.kill(st['mainPid'], getattr(signal, sig if sig.startswith('SIG') else 'SIG' + sig))
        elif verb == 'is-system-running':
            if not quiet:
                print('running')
        elif verb in ('enable', 'disable', 'daemon-reload', 'list-unit-files', 'is-enabled', 'mask', 'unmask'):
            pass  # nothing boots again here: enabling is a no-op, and there are no socket units
        else:
            raise Failed('Unknown command verb %s.' % verb)
    except Failed as e:
        sys.stderr.write('%s\n' % e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
