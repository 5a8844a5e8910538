#!/usr/bin/python3
"""PID 1 of a local amphora: the few things an amphora image's systemd does at boot, and no more.

Started by the local compute driver as
    nsenter --net=<amphora netns> unshare --mount --propagation private --uts --pid --fork \
        --kill-child=SIGTERM /usr/bin/python3 init.py <dir>/amphora.json
so it runs in the amphora's own network namespace and in fresh mount, UTS and PID namespaces, as PID 1.

What it does, in order (drivers/compute/local/README.md says why each step is there):
  1. writes its host pid (read from the host's /proc before /proc is remounted) for the controller;
  2. calls itself `systemd` (/proc/1/comm is how the agent picks its init system);
  3. makes the machine private: fresh /proc, /sys (read-only, with /sys/bus/pci hidden), /run, /dev and
     /tmp; the copies of the host's netns mounts dropped; the spec's bind mounts (the amphora's own
     /etc/octavia, /var/lib/octavia, /var/log, unit directories, sysctl files, the systemctl shim over
     /usr/bin/systemctl), and the shim first on the agent's PATH as well;
  4. sets the host name, serves the syslog sockets (/dev/log, /run/rsyslog/octavia/log);
  5. brings lo up, creates the `amphora-haproxy` namespace with its sysctls (octavia-agent-netns does
     this on an image);
  6. runs the agent, restarting it when it fails (the unit's Restart=on-failure), reaps every orphan;
  7. on SIGTERM: SIGTERM to every process of the amphora, SIGKILL after the grace period, exit.

Python 3 standard library only: it runs under Debian's /usr/bin/python3, like the agent.
"""
import ctypes
import errno
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_MOVE = 4096, 8192
MNT_DETACH = 2
PR_SET_NAME = 15

libc = ctypes.CDLL(None, use_errno=True)
SYSLOG_MAX_BYTES = 16 * 1024 * 1024
BASE_ENV = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG': 'C.UTF-8', 'HOME': '/root'}
# First on the agent's PATH: our systemctl, also where /usr/bin/systemctl does not exist (no systemd).
SHIM_DIR = '/run/amphora-bin'


def log(msg):
    sys.stderr.write('%s init: %s\n' % (time.strftime('%Y-%m-%dT%H:%M:%S'), msg))
    sys.stderr.flush()


def mount(source, target, fstype=None, flags=0, data=None):
    enc = lambda s: s.encode() if s is not None else None
    if libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, 'mount %s on %s: %s' % (source, target, os.strerror(e)))


def umount_lazy(target):
    if libc.umount2(target.encode(), MNT_DETACH) != 0:
        e = ctypes.get_errno()
        if e not in (errno.EINVAL, errno.ENOENT):
            raise OSError(e, 'umount %s: %s' % (target, os.strerror(e)))


def starttime(pid):
    """Field 22 of /proc/<pid>/stat: with the pid, it names one process for good (pids are reused)."""
    with open('/proc/%s/stat' % pid) as f:
        return f.read().rsplit(')', 1)[1].split()[19]


def report_host_pid(path):
    # /proc is still the host's here, so /proc/self is this process's pid on the host.
    host_pid = os.readlink('/proc/self')
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%s %s\n' % (host_pid, starttime(host_pid)))
    os.rename(tmp, path)


def drop_foreign_netns_mounts():
    """The new mount namespace is a copy of the host's, with a mount of every named network namespace
    (/run/netns/*). Each copy pins that namespace: an amphora deleted while another one runs would keep
    its namespace, and its veths, until the other one stops. Detach them all."""
    with open('/proc/self/mountinfo') as f:
        points = [line.split()[4] for line in f if ' - nsfs ' in line]
    for point in sorted(points, key=len, reverse=True):
        umount_lazy(point.encode().decode('unicode_escape'))


def make_dev(syslog_dir):
    """A /dev of our own, so that /dev/log can be ours without touching the host's /dev."""
    stage = '/run/.dev'
    os.makedirs(stage)
    mount('tmpfs', stage, 'tmpfs', MS_NOSUID | MS_NOEXEC, 'mode=755,size=1m')
    for node in ('null', 'zero', 'full', 'random', 'urandom', 'tty'):
        open(os.path.join(stage, node), 'w').close()
        mount('/dev/' + node, os.path.join(stage, node), None, MS_BIND)
    os.mkdir(os.path.join(stage, 'pts'))
    mount('devpts', os.path.join(stage, 'pts'), 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=620')
    os.symlink('pts/ptmx', os.path.join(stage, 'ptmx'))
    os.mkdir(os.path.join(stage, 'shm'))  # multiprocessing (the agent's health sender) needs it
    mount('tmpfs', os.path.join(stage, 'shm'), 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=1777')
    for name, target in (('fd', '/proc/self/fd'), ('stdin', '/proc/self/fd/0'), ('stdout', '/proc/self/fd/1'), ('stderr', '/proc/self/fd/2')):
        os.symlink(target, os.path.join(stage, name))
    os.symlink(os.path.join(syslog_dir, 'dev-log'), os.path.join(stage, 'log'))
    mount(stage, '/dev', None, MS_MOVE)
    os.rmdir(stage)


def make_private(spec):
    # The sources are held open from the start and bound through /proc/self/fd: the fresh /tmp and /run
    # below would otherwise hide a state dir (or a checkout) that lives there.
    held = {p: os.open(p, os.O_PATH | os.O_CLOEXEC) for p in {src for src, _ in spec['binds']} | {spec['systemctl']}}
    source = lambda p: '/proc/self/fd/%d' % held[p]
    mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC)
    drop_foreign_netns_mounts()
    # A sysfs of the amphora's own network namespace, read-only; /sys/bus/pci hidden because the agent
    # writes /sys/bus/pci/rescan when it does not find a NIC, which would rescan the host's PCI bus.
    umount_lazy('/sys')
    mount('sysfs', '/sys', 'sysfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount('tmpfs', '/sys/bus/pci', 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=755,size=4k')
    mount('tmpfs', '/run', 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=755')
    mount('tmpfs', '/tmp', 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=1777')
    for d in ('/run/systemd/system', '/run/rsyslog/octavia', '/run/lock', '/run/syslog', SHIM_DIR):
        os.makedirs(d, exist_ok=True)
    make_dev('/run/syslog')
    open(os.path.join(SHIM_DIR, 'systemctl'), 'w').close()
    mount(source(spec['systemctl']), os.path.join(SHIM_DIR, 'systemctl'), None, MS_BIND)
    for src, dst in spec['binds']:
        if not os.path.exists(dst) or os.path.islink(dst):
            # Absent, or a link (e.g. resolv.conf into a /run that is ours now): nothing to cover.
            log('skipping bind %s -> %s: %s is not there or is a link' % (src, dst, dst))
            continue
        mount(source(src), dst, None, MS_BIND)
    for fd in held.values():
        os.close(fd)


def syslog_sockets():
    socks = []
    for path in ('/run/syslog/dev-log', '/run/rsyslog/octavia/log'):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        os.chmod(path, 0o666)
        s.setblocking(False)
        socks.append(s)
    return socks


class Syslog:
    """What rsyslog does on an image, minus the forwarding: every message to /var/log/syslog."""

    def __init__(self, path):
        self.path = path
        self.file = open(path, 'ab', buffering=0)

    def drain(self, sock):
        while True:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                return
            self.file.write(time.strftime('%Y-%m-%dT%H:%M:%S ').encode() + data.rstrip(b'\n') + b'\n')
            if self.file.tell() > SYSLOG_MAX_BYTES:
                self.file.close()
                os.replace(self.path, self.path + '.1')
                self.file = open(self.path, 'ab', buffering=0)


def run(argv, ns=None):
    if ns:
        argv = ['/sbin/ip', 'netns', 'exec', ns] + argv
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=BASE_ENV)
    if r.returncode != 0:
        log('%s: exit %d: %s' % (' '.join(argv), r.returncode, r.stdout.decode(errors='replace').strip()))
    return r.returncode == 0


def boot_network():
    run(['/sbin/ip', 'link', 'set', 'lo', 'up'])
    # What octavia-agent-netns does on an image (minus modprobe and the replay of plugged interfaces:
    # this amphora never reboots). sysctl --system reads the amphora's own sysctl files, which hold
    # per-namespace keys only.
    run(['/sbin/ip', 'netns', 'add', 'amphora-haproxy'])
    run(['/sbin/sysctl', '--system'], ns='amphora-haproxy')
    for key in ('net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'):
        run(['/sbin/sysctl', '-w', key], ns='amphora-haproxy')
    run(['/sbin/ip', 'link', 'set', 'lo', 'up'], ns='amphora-haproxy')


class Init:
    def __init__(self, spec):
        self.spec = spec
        self.agent = None
        self.agent_restart_at = 0.0
        self.stopping = False
        r, w = os.pipe()
        os.set_blocking(r, False)
        os.set_blocking(w, False)
        self.wakeup = r
        signal.set_wakeup_fd(w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self.on_term)
        signal.signal(signal.SIGINT, self.on_term)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def on_term(self, *_):
        self.stopping = True

    def start_agent(self):
        out = open('/var/log/octavia-agent.console.log', 'ab')
        env = {**BASE_ENV, 'PATH': SHIM_DIR + ':' + BASE_ENV['PATH']}
        self.agent = subprocess.Popen(self.spec['agent'], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                      env=env, cwd='/', start_new_session=True)
        out.close()
        log('agent started (pid %d in the amphora)' % self.agent.pid)

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.agent and pid == self.agent.pid:
                code = os.waitstatus_to_exitcode(status)
                self.agent.returncode = code
                log('agent exited with %d' % code)
                self.agent = None
                # Restart=on-failure, as in the octavia-agent unit.
                if code != 0 and not self.stopping:
                    self.agent_restart_at = time.monotonic() + self.spec.get('restartSeconds', 1)

    def loop(self, syslog, socks):
        self.start_agent()
        while not self.stopping:
            ready, _, _ = select.select([self.wakeup] + socks, [], [], 1.0)
            for s in socks:
                if s in ready:
                    syslog.drain(s)
            if self.wakeup in ready:
                try:
                    os.read(self.wakeup, 4096)
                except BlockingIOError:
                    pass
            self.reap()
            if self.agent is None and self.agent_restart_at and time.monotonic() >= self.agent_restart_at:
                self.agent_restart_at = 0.0
                self.start_agent()

    def shutdown(self):
        grace = self.spec.get('stopGraceSeconds', 2)
        log('stopping: SIGTERM to every process, SIGKILL after %ss' % grace)
        os.kill(-1, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            self.reap()
            if not self.has_children():
                return
            time.sleep(0.05)
        os.kill(-1, signal.SIGKILL)
        while self.has_children():
            self.reap()
            time.sleep(0.02)

    def has_children(self):
        # Any process other than PID 1 in this PID namespace (orphans are ours to reap as well).
        return any(p.isdigit() and p != '1' for p in os.listdir('/proc'))


def main():
    spec = json.load(open(sys.argv[1]))
    report_host_pid(spec['hostPidFile'])
    libc.prctl(PR_SET_NAME, b'systemd', 0, 0, 0)
    make_private(spec)
    socket.sethostname(spec['hostname'])
    socks = syslog_sockets()
    syslog = Syslog('/var/log/syslog')
    boot_network()
    init = Init(spec)
    try:
        init.loop(syslog, socks)
    finally:
        init.shutdown()
    log('stopped')


if __name__ == '__main__':
    main()
