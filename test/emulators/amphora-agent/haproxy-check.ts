/**
 * The emulator's stand-in for the agent's `haproxy -c`: it knows one fault, the one recorded
 * (samples/23: an unknown `balance` algorithm), and answers it in HAProxy 2.6's words, line number and
 * all. Everything else passes, as the emulator does not run HAProxy.
 */
const HAPROXY_VERSION = '2.6.12-1+deb12u4';
/** The pid HAProxy printed in the recording; ours is a constant so answers compare equal. */
const PID = 124;

const BALANCE = /^\s*balance\s+(\S+)/;
const ALGORITHMS = new Set(['roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'first', 'random']);
const WITH_ARGUMENT = /^(hdr|rdp-cookie)\([^)]*\)$/;

/** undefined when the configuration is accepted, else what `haproxy -c` prints. */
export function haproxyCheck(config: string, file: string): string | undefined {
  const errors: string[] = [];
  config.split('\n').forEach((line, i) => {
    const algorithm = BALANCE.exec(line)?.[1];
    if (algorithm && !ALGORITHMS.has(algorithm) && !WITH_ARGUMENT.test(algorithm)) {
      errors.push(
        `parsing [${file}:${i + 1}] : balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options.`,
      );
    }
  });
  if (!errors.length) return undefined;
  const notice = (m: string) => `[NOTICE]   (${PID}) : ${m}\n`;
  const alert = (m: string) => `[ALERT]    (${PID}) : config : ${m}\n`;
  return (
    notice(`haproxy version is ${HAPROXY_VERSION}`) +
    notice('path to executable is /usr/sbin/haproxy') +
    errors.map(alert).join('') +
    alert(`Error(s) found in configuration file : ${file}`) +
    alert('Fatal errors found in configuration.')
  );
}
