# probe.py - the program the listener runs in the command-line tests: writes what it received to argv[1].
import fcntl, os, resource, sys
out = sys.argv[1]
def isopen(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
lim = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 65536)
opened = [fd for fd in range(lim) if isopen(fd)]
env = os.environ
n = int(env.get('LISTEN_FDS', '-1'))
names = env.get('LISTEN_FDNAMES')
lines = ['fds=%d' % n,
         'names=%s' % (names if names is not None else '(unset)'),
         'pid=%s' % ('ok' if env.get('LISTEN_PID') == str(os.getpid()) else env.get('LISTEN_PID')),
         'peer=%s' % ':'.join(env.get('FDRELAY_PEER_' + k, '') for k in ('PID', 'UID', 'GID')),
         'message=%s' % env.get('FDRELAY_MESSAGE', '(unset)')]
if opened == list(range(len(opened))):
    lines.append('open=0-%d' % (len(opened) - 1))
else:
    lines.append('open=' + ' '.join(map(str, opened)))
namelist = names.split(':') if names else []
order = 'ok'
for i in range(max(n, 0)):
    fd = 3 + i
    try:
        path = os.readlink('/proc/self/fd/%d' % fd)
        fl = fcntl.fcntl(fd, fcntl.F_GETFL)
        cloexec = fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    except OSError as e:
        lines.append('fd%d=error %s' % (fd, e))
        order = 'fd %d missing' % fd
        continue
    acc = {os.O_RDONLY: 'r', os.O_WRONLY: 'w', os.O_RDWR: 'rw'}[fl & os.O_ACCMODE]
    if i < 16:
        lines.append('fd%d=%s %s%s%s' % (fd, path, acc, ' append' if fl & os.O_APPEND else '',
                                          ' cloexec' if cloexec else ''))
    if order == 'ok' and (i >= len(namelist) or os.path.basename(path) != namelist[i]):
        order = 'fd %d is %s, named %s' % (fd, path, namelist[i] if i < len(namelist) else '?')
lines.append('order=' + order)
std = []
for fd in range(3):
    try:
        std.append(os.readlink('/proc/self/fd/%d' % fd))
    except OSError:
        std.append('closed')
lines.append('std=' + '|'.join(std))
lines.append('nofile=%d' % resource.getrlimit(resource.RLIMIT_NOFILE)[0])
with open(out + '.tmp', 'w') as f:
    f.write('\n'.join(lines) + '\n')
os.rename(out + '.tmp', out)
