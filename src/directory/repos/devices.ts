/** Desk devices and mobile-client devices (spec §17.1), their lines, and SIP digest credentials. */
import type { DirectoryContext } from '../context.js';
import { Table } from '../table.js';
import { guard, invalid, notFound } from '../errors.js';
import { checkDialString, checkNonEmpty, checkOneOf, defined, requireRef } from '../validate.js';
import { computeHa1 } from '../secrets.js';
import type {
  DeskCapabilities,
  DeskDevice,
  Device,
  DigestAlgorithm,
  MobileClientDevice,
  SipCredential,
  TransferToMobileNetwork,
} from '../types.js';

interface DeviceRow {
  id: string;
  kind: 'desk' | 'mobileClient';
  ownerUser: string | null;
  sipUsername: string | null;
  aor: string | null;
  css: string | null;
  rerouteCss: string | null;
  devicePool: string | null;
  userHoldAudioSource: string | null;
  networkHoldAudioSource: string | null;
  capabilities: DeskCapabilities | null;
  videoCapable: boolean;
  dndEnabled: boolean;
  hasCellularRadio: boolean;
  dvoEnabled: boolean;
  dvoForwardCapable: boolean;
  transferToMobileNetwork: TransferToMobileNetwork;
  emergencyNumbers: string[];
}

type Common = 'id' | 'ownerUser' | 'sipUsername' | 'aor' | 'css' | 'devicePool' | 'userHoldAudioSource' | 'networkHoldAudioSource' | 'lines';
export type NewDeskDevice = { kind: 'desk'; id: string } & Partial<Omit<DeskDevice, 'kind' | 'id' | 'capabilities'>> & {
  capabilities?: Partial<DeskCapabilities>;
};
export type NewMobileClientDevice = { kind: 'mobileClient'; id: string } & Partial<Omit<MobileClientDevice, 'kind' | 'id'>>;
export type NewDevice = NewDeskDevice | NewMobileClientDevice;
export type DevicePatch = Partial<Omit<DeskDevice, 'kind' | 'id' | 'capabilities'>> &
  Partial<Omit<MobileClientDevice, 'kind' | 'id' | Common>> & { capabilities?: Partial<DeskCapabilities> };

const DEFAULT_CAPS: DeskCapabilities = { replaces: true, dialogEvent: true, refer: true };

/** Normalises an AOR for lookup: scheme and host lower-case, parameters and brackets dropped. */
export function normaliseAor(aor: string): string {
  let s = aor.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) s = s.slice(lt + 1, s.indexOf('>', lt) >= 0 ? s.indexOf('>', lt) : undefined);
  s = s.split(';')[0]!.split('?')[0]!;
  const m = /^(sips?):([^@]+)@(.+)$/i.exec(s);
  if (!m) return s;
  const host = m[3]!.toLowerCase().replace(/:5060$/, '');
  return `${m[1]!.toLowerCase()}:${m[2]}@${host}`;
}

export class DeviceRepo {
  private readonly t: Table<DeviceRow>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<DeviceRow>(ctx.db, 'devices', ['id'], {
      id: 'text',
      kind: 'text',
      ownerUser: 'text',
      sipUsername: 'text',
      aor: 'text',
      css: 'text',
      rerouteCss: 'text',
      devicePool: 'text',
      userHoldAudioSource: 'text',
      networkHoldAudioSource: 'text',
      capabilities: 'json',
      videoCapable: 'bool',
      dndEnabled: 'bool',
      hasCellularRadio: 'bool',
      dvoEnabled: 'bool',
      dvoForwardCapable: 'bool',
      transferToMobileNetwork: 'text',
      emergencyNumbers: 'json',
    });
  }

  private linesOf(id: string): string[] {
    return (this.ctx.stmt('SELECT line_id FROM device_lines WHERE device_id = ? ORDER BY ord').all(id) as { line_id: string }[]).map((r) => r.line_id);
  }

  private toDevice(r: DeviceRow): Device {
    const common = {
      id: r.id,
      ownerUser: r.ownerUser,
      sipUsername: r.sipUsername,
      aor: r.aor,
      css: r.css,
      devicePool: r.devicePool,
      userHoldAudioSource: r.userHoldAudioSource,
      networkHoldAudioSource: r.networkHoldAudioSource,
      lines: this.linesOf(r.id),
    };
    if (r.kind === 'desk') return { ...common, kind: 'desk', capabilities: { ...DEFAULT_CAPS, ...(r.capabilities ?? {}) }, videoCapable: r.videoCapable };
    return {
      ...common,
      kind: 'mobileClient',
      rerouteCss: r.rerouteCss,
      dndEnabled: r.dndEnabled,
      hasCellularRadio: r.hasCellularRadio,
      dvoEnabled: r.dvoEnabled,
      dvoForwardCapable: r.dvoForwardCapable,
      transferToMobileNetwork: r.transferToMobileNetwork,
      emergencyNumbers: r.emergencyNumbers,
    };
  }

  private check(r: DeviceRow, lines: readonly string[]): void {
    checkNonEmpty('id', r.id);
    checkOneOf('kind', r.kind, ['desk', 'mobileClient'] as const);
    requireRef(this.ctx, 'users', 'user_id', r.ownerUser, 'ownerUser');
    requireRef(this.ctx, 'css', 'name', r.css, 'css');
    requireRef(this.ctx, 'css', 'name', r.rerouteCss, 'rerouteCss');
    checkOneOf('transferToMobileNetwork', r.transferToMobileNetwork, ['useMobilitySoftkey', 'useHandoffNumber'] as const);
    r.emergencyNumbers.forEach((n, i) => checkDialString(`emergencyNumbers[${i}]`, n));
    if (new Set(lines).size !== lines.length) throw invalid('lines: listed twice');
    lines.forEach((l, i) => requireRef(this.ctx, 'lines', 'id', l, `lines[${i}]`));
    if (r.kind === 'mobileClient') {
      // §17.1 MobileClientDevice: owner must have mobility enabled; at least one (shared) line.
      if (!r.ownerUser) throw invalid('ownerUser: a mobile client device needs an owner user');
      const owner = this.ctx.stmt('SELECT enable_mobility FROM users WHERE user_id = ?').get(r.ownerUser) as { enable_mobility: number };
      if (!owner.enable_mobility) throw invalid(`ownerUser: user "${r.ownerUser}" does not have enableMobility`);
      if (lines.length === 0) throw invalid('lines: a mobile client device needs at least one line');
      if (r.dvoForwardCapable && !r.dvoEnabled) throw invalid('dvoForwardCapable: needs dvoEnabled');
      if (!r.hasCellularRadio && (r.dvoEnabled || this.hasMi(r.id))) throw invalid('hasCellularRadio: a device without cellular radio cannot have DVO or a mobility identity (DM-01)');
      if (r.dvoEnabled && this.hasMi(r.id)) this.checkOneActiveClient(r.id, r.ownerUser);
    }
  }

  private hasMi(deviceId: string): boolean {
    return this.ctx.stmt('SELECT 1 FROM remote_destinations WHERE device_id = ? AND is_mobility_identity = 1').get(deviceId) !== undefined;
  }

  /** D-26 / DM-07: at most one DVO-enabled device with an MI per user. */
  checkOneActiveClient(deviceId: string, ownerUser: string): void {
    const other = this.ctx
      .stmt(
        `SELECT d.id FROM devices d JOIN remote_destinations r ON r.device_id = d.id AND r.is_mobility_identity = 1
         WHERE d.owner_user = ? AND d.dvo_enabled = 1 AND d.id <> ? LIMIT 1`,
      )
      .get(ownerUser, deviceId) as { id: string } | undefined;
    if (other) throw invalid(`user "${ownerUser}" already has a DVO-enabled device with a mobility identity ("${other.id}") (D-26)`);
  }

  private setLines(id: string, lines: readonly string[]): void {
    this.ctx.stmt('DELETE FROM device_lines WHERE device_id = ?').run(id);
    const ins = this.ctx.stmt('INSERT INTO device_lines (device_id, line_id, ord) VALUES (?, ?, ?)');
    lines.forEach((l, i) => ins.run(id, l, i));
  }

  create(input: NewDevice): Device {
    const row: DeviceRow = {
      id: input.id,
      kind: input.kind,
      ownerUser: input.ownerUser ?? null,
      sipUsername: input.sipUsername ?? null,
      aor: input.aor ? normaliseAor(input.aor) : null,
      css: input.css ?? null,
      rerouteCss: input.kind === 'mobileClient' ? (input.rerouteCss ?? null) : null,
      devicePool: input.devicePool ?? null,
      userHoldAudioSource: input.userHoldAudioSource ?? null,
      networkHoldAudioSource: input.networkHoldAudioSource ?? null,
      capabilities: input.kind === 'desk' ? { ...DEFAULT_CAPS, ...(input.capabilities ?? {}) } : null,
      videoCapable: input.kind === 'desk' ? (input.videoCapable ?? false) : false,
      dndEnabled: input.kind === 'mobileClient' ? (input.dndEnabled ?? false) : false,
      hasCellularRadio: input.kind === 'mobileClient' ? (input.hasCellularRadio ?? true) : false,
      dvoEnabled: input.kind === 'mobileClient' ? (input.dvoEnabled ?? false) : false,
      dvoForwardCapable: input.kind === 'mobileClient' ? (input.dvoForwardCapable ?? false) : false,
      transferToMobileNetwork: input.kind === 'mobileClient' ? (input.transferToMobileNetwork ?? 'useMobilitySoftkey') : 'useMobilitySoftkey',
      emergencyNumbers: input.kind === 'mobileClient' ? [...(input.emergencyNumbers ?? [])] : [],
    };
    const lines = [...(input.lines ?? [])];
    this.check(row, lines);
    this.ctx.tx(() => {
      guard(`device "${row.id}"`, () => this.t.insert(row));
      this.setLines(row.id, lines);
    });
    return this.get(row.id)!;
  }

  get(id: string): Device | undefined {
    const r = this.t.get(id);
    return r ? this.toDevice(r) : undefined;
  }

  findBySipUsername(username: string): Device | undefined {
    const r = this.t.one('sipUsername', username);
    return r ? this.toDevice(r) : undefined;
  }

  findByAor(aor: string): Device | undefined {
    const r = this.t.one('aor', normaliseAor(aor));
    return r ? this.toDevice(r) : undefined;
  }

  list(filter: { ownerUser?: string; kind?: Device['kind'] } = {}): Device[] {
    let rows = filter.ownerUser !== undefined ? this.t.where('ownerUser', filter.ownerUser) : this.t.all();
    if (filter.kind) rows = rows.filter((r) => r.kind === filter.kind);
    return rows.map((r) => this.toDevice(r));
  }

  /** Devices that carry a line (shared-line appearances). */
  onLine(lineId: string): Device[] {
    const ids = this.ctx.stmt('SELECT device_id FROM device_lines WHERE line_id = ? ORDER BY rowid').all(lineId) as { device_id: string }[];
    return ids.map((r) => this.get(r.device_id)!);
  }

  update(id: string, patch: DevicePatch): Device {
    const cur = this.t.get(id);
    if (!cur) throw notFound('device', id);
    const { lines, capabilities, ...rest } = patch;
    const row: DeviceRow = { ...cur, ...defined(rest), id, kind: cur.kind };
    if (rest.aor) row.aor = normaliseAor(rest.aor);
    if (capabilities && cur.kind === 'desk') row.capabilities = { ...DEFAULT_CAPS, ...(cur.capabilities ?? {}), ...capabilities };
    const newLines = lines ? [...lines] : this.linesOf(id);
    this.check(row, newLines);
    this.ctx.tx(() => {
      guard(`device "${id}"`, () => this.t.update(row));
      if (lines) this.setLines(id, newLines);
    });
    this.ctx.changed('remoteDestinations');
    return this.get(id)!;
  }

  delete(id: string): boolean {
    const ok = guard(`device "${id}"`, () => this.t.delete(id));
    if (ok) this.ctx.changed('remoteDestinations');
    return ok;
  }
}

interface CredentialRow {
  username: string;
  realm: string;
  ha1Md5: string;
  ha1Sha256: string;
  deviceId: string | null;
}

export class CredentialRepo {
  private readonly t: Table<CredentialRow>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<CredentialRow>(ctx.db, 'sip_credentials', ['username', 'realm'], {
      username: 'text',
      realm: 'text',
      ha1Md5: 'text',
      ha1Sha256: 'text',
      deviceId: 'text',
    });
  }

  /** Stores HA1 (MD5 and SHA-256) for username@realm; the password itself is discarded. */
  set(username: string, realm: string, password: string, deviceId: string | null = null): SipCredential {
    checkNonEmpty('username', username);
    checkNonEmpty('realm', realm);
    if (password === '') throw invalid('password: must not be empty');
    if (/[:"\\]/.test(username)) throw invalid('username: must not contain : " or \\');
    requireRef(this.ctx, 'devices', 'id', deviceId, 'deviceId');
    guard(`credentials for ${username}`, () =>
      this.t.upsert({
        username,
        realm,
        ha1Md5: computeHa1(username, realm, password, 'MD5'),
        ha1Sha256: computeHa1(username, realm, password, 'SHA-256'),
        deviceId,
      }),
    );
    return { username, realm, deviceId };
  }

  getHa1(username: string, realm: string, algorithm: DigestAlgorithm): string | undefined {
    const r = this.t.get(username, realm);
    if (!r) return undefined;
    return algorithm === 'MD5' ? r.ha1Md5 : r.ha1Sha256;
  }

  /** Which device the credentials belong to. */
  get(username: string, realm: string): SipCredential | undefined {
    const r = this.t.get(username, realm);
    return r ? { username: r.username, realm: r.realm, deviceId: r.deviceId } : undefined;
  }

  list(): SipCredential[] {
    return this.t.all().map((r) => ({ username: r.username, realm: r.realm, deviceId: r.deviceId }));
  }

  delete(username: string, realm?: string): boolean {
    if (realm !== undefined) return this.t.delete(username, realm);
    return this.ctx.stmt('DELETE FROM sip_credentials WHERE username = ?').run(username).changes > 0;
  }
}
