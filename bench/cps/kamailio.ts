// Kamailio 5.6 as the reference: a stateful proxy (signalling only) and a proxy driving
// rtpengine (media anchored), with the configurations of /work/shared/notes/machine-probe.md
// (ports templated; the rtpengine variant gets the same global settings as the proxy one:
// quiet logs, no DNS). Run in the foreground (-DD -E), `-m 1024 -M 16`; stopped by killing the
// parent, which takes its children with it.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { killTree, spawnTracked } from './sipp-load.js';
import { processTree, sleep, waitUdpBound } from './procs.js';

export const KAMAILIO = '/usr/sbin/kamailio';

/** `apt-get install -y kamailio` unless it is already there (idempotent). */
export function ensureKamailio(): void {
  if (existsSync(KAMAILIO)) return;
  console.log('kamailio missing: apt-get install -y kamailio');
  try {
    execFileSync('apt-get', ['install', '-y', 'kamailio'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch {
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', 'kamailio'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

export function kamailioVersion(): string {
  try {
    return execFileSync(KAMAILIO, ['-v'], { encoding: 'utf8' }).split('\n')[0]!.replace(/^version:\s*kamailio\s*/, '').trim();
  } catch {
    return 'unknown';
  }
}

const GLOBALS = (port: number, children: number): string => `debug=1
log_stderror=yes
children=${children}
auto_aliases=no
listen=udp:127.0.0.1:${port}
alias="127.0.0.1:${port}"
dns=no
rev_dns=no
use_dns_cache=off
`;

/** machine-probe.md "kamailio.cfg": stateful t_relay proxy with record-routing. */
export function proxyConfig(port: number, farEndPort: number, children: number): string {
  return `${GLOBALS(port, children)}loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "textops.so"
modparam("rr", "enable_full_lr", 1)
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483","Too Many Hops"); exit; }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK") && t_check_trans()) { t_relay(); exit; }
    $du = "sip:127.0.0.1:${farEndPort}"; t_relay(); exit;
  }
  t_check_trans();
  if (is_method("INVITE|SUBSCRIBE")) record_route();
  $du = "sip:127.0.0.1:${farEndPort}";
  if (!t_relay()) sl_reply_error();
  exit;
}
`;
}

/** machine-probe.md "Kamailio + rtpengine configuration" (offer on INVITE, answer on replies, delete on BYE/CANCEL/failure). */
export function rtpengineConfig(port: number, farEndPort: number, ngPort: number, children: number): string {
  return `${GLOBALS(port, children)}loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "rtpengine.so"
modparam("rtpengine", "rtpengine_sock", "udp:127.0.0.1:${ngPort}")
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("CANCEL")) { if (t_check_trans()) { rtpengine_delete(); t_relay(); } exit; }
  if (has_totag()) {
    if (is_method("BYE")) rtpengine_delete();
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK") && t_check_trans()) { t_relay(); exit; }
    $du = "sip:127.0.0.1:${farEndPort}"; t_relay(); exit;
  }
  t_check_trans();
  if (is_method("INVITE")) {
    record_route();
    if (has_body("application/sdp") && !rtpengine_offer("replace-origin replace-session-connection")) {
      sl_send_reply("503", "Media anchor unavailable"); exit;
    }
    t_on_reply("MEDIA_REPLY"); t_on_failure("MEDIA_FAILURE");
  }
  $du = "sip:127.0.0.1:${farEndPort}";
  if (!t_relay()) { if (is_method("INVITE")) rtpengine_delete(); sl_reply_error(); }
  exit;
}
onreply_route[MEDIA_REPLY] { if (has_body("application/sdp")) rtpengine_answer("replace-origin replace-session-connection"); }
failure_route[MEDIA_FAILURE] { rtpengine_delete(); }
`;
}

export interface KamailioHandle {
  readonly pid: number;
  readonly port: number;
  readonly logFile: string;
  readonly exited: boolean;
  stop(): Promise<void>;
}

export async function startKamailio(o: { dir: string; name: string; config: string; port: number; workers: number }): Promise<KamailioHandle> {
  const run = path.join(o.dir, `${o.name}.run`);
  mkdirSync(run, { recursive: true });
  const cfg = path.join(o.dir, `${o.name}.cfg`);
  writeFileSync(cfg, o.config);
  const logFile = path.join(o.dir, `${o.name}.log`);
  const out = openSync(logFile, 'a');
  const args = ['-f', cfg, '-DD', '-E', '-Y', run, '-P', path.join(run, 'kamailio.pid'), '-m', '1024', '-M', '16', '-n', String(o.workers)];
  const child: ChildProcess = spawnTracked(KAMAILIO, args, ['ignore', out, out], true);
  closeSync(out);
  let exited = false;
  const closed = new Promise<void>((r) =>
    child.once('close', () => {
      exited = true;
      r();
    }),
  );
  const ok = await waitUdpBound(o.port, 10_000, () => !exited);
  if (!ok) {
    killTree(child.pid!);
    throw new Error(`kamailio did not bind 127.0.0.1:${o.port} (${KAMAILIO} ${args.join(' ')}):\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
  }
  await sleep(300); // the workers start after the socket is bound
  return {
    pid: child.pid!,
    port: o.port,
    logFile,
    get exited() {
      return exited;
    },
    async stop() {
      const workers = processTree(child.pid!);
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await closed;
        clearTimeout(t);
      }
      await sleep(200);
      for (const pid of workers) {
        try {
          process.kill(pid, 'SIGKILL'); // a worker left behind
        } catch {
          // gone
        }
      }
      killTree(child.pid!);
    },
  };
}
