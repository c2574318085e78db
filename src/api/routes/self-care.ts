/**
 * Self-care under /api/v1/me: an end user sees and changes only their own settings — SNR on/off
 * per destination or for all (SNR-10, SNR-13), their remote destinations with the per-RD timers,
 * access lists and ring schedules (§6.4), PIN and password. Records of other users answer 404.
 */
import { z } from 'zod';
import type { Actor } from '../audit.js';
import { ApiError } from '../errors.js';
import { SESSION_COOKIE } from '../auth/guard.js';
import { hashPassword } from '../auth/passwords.js';
import * as S from '../schemas.js';
import type { RemoteDestination, RdParent } from '../../directory/types.js';
import type { RouteDeps } from './deps.js';

type Rec = Record<string, unknown>;

function me(actor: Actor): string {
  if (actor.userId === null) throw new ApiError('forbidden', 'this account is not linked to an end user (self-care is for end-user accounts)');
  return actor.userId;
}

export function registerSelfCareRoutes(d: RouteDeps): void {
  const { routes, svc, accounts } = d;
  const dir = svc.dir;

  const ownRd = (userId: string, id: string): RemoteDestination => {
    const rd = dir.remoteDestinations.get(id);
    if (!rd || rd.ownerUser !== userId) throw new ApiError('not_found', `remote destination "${id}" not found`);
    return rd;
  };
  const ownList = (userId: string, id: string) => {
    const l = dir.accessLists.get(id);
    if (!l || l.ownerUser !== userId) throw new ApiError('not_found', `access list "${id}" not found`);
    return l;
  };
  const ownSchedule = (userId: string, id: string) => {
    const s = dir.ringSchedules.get(id);
    if (!s || s.ownerUser !== userId) throw new ApiError('not_found', `ring schedule "${id}" not found`);
    return s;
  };
  /** References an end user may use: their own lists and schedules only. */
  const checkRefs = (userId: string, b: Rec): void => {
    if (typeof b.ringSchedule === 'string') {
      const s = dir.ringSchedules.get(b.ringSchedule);
      if (!s || s.ownerUser !== userId) throw new ApiError('invalid', `ringSchedule: "${b.ringSchedule}" is not one of your ring schedules`, [{ field: 'ringSchedule', message: 'not one of your ring schedules' }]);
    }
    const ap = b.accessPolicy as Rec | string | undefined;
    if (ap !== undefined && typeof ap === 'object') {
      const listId = String(ap.allowedList ?? ap.blockedList);
      const l = dir.accessLists.get(listId);
      if (!l || l.ownerUser !== userId) throw new ApiError('invalid', `accessPolicy: "${listId}" is not one of your access lists`, [{ field: 'accessPolicy', message: 'not one of your access lists' }]);
    }
  };
  const overview = (userId: string) => {
    const user = dir.users.get(userId);
    if (!user) throw new ApiError('not_found', `user "${userId}" not found`);
    return {
      user,
      remoteDestinations: dir.remoteDestinations.listByUser(userId),
      accessLists: dir.accessLists.list(userId),
      ringSchedules: dir.ringSchedules.list(userId),
      rdProfiles: dir.rdProfiles.list(userId).map((p) => ({ id: p.id, name: p.name })),
      mobileClients: dir.devices.list({ ownerUser: userId, kind: 'mobileClient' }).map((x) => ({ id: x.id })),
      defaults: (({ delayBeforeRingingMs, answerTooSoonMs, answerTooLateMs, snrVoicemailPolicy, voicemailSelectionPolicy }) => ({
        delayBeforeRingingMs,
        answerTooSoonMs,
        answerTooLateMs,
        snrVoicemailPolicy,
        voicemailSelectionPolicy,
      }))(dir.mobilityParameters()),
    };
  };

  routes.add({
    method: 'GET',
    url: '/api/v1/me',
    summary: 'Self-care: my user record, remote destinations, access lists and ring schedules',
    tag: 'self-care',
    access: 'any',
    handler: ({ actor }) => overview(me(actor)),
  });

  routes.add<z.infer<typeof S.selfPatch>>({
    method: 'PATCH',
    url: '/api/v1/me',
    summary: 'Self-care: change my display name or time zone (ring schedules are evaluated in it)',
    tag: 'self-care',
    access: 'any',
    body: S.selfPatch,
    handler: ({ actor, body }) => {
      const userId = me(actor);
      return svc.write(actor, { action: 'update', entity: 'users', entityId: userId, detail: body }, () => dir.users.update(userId, body));
    },
  });

  routes.add<z.infer<typeof S.pinChange>>({
    method: 'PUT',
    url: '/api/v1/me/pin',
    summary: 'Self-care: set my PIN (MVA); if currentPin is given it must match',
    tag: 'self-care',
    access: 'any',
    body: S.pinChange,
    status: 204,
    handler: async ({ actor, body }) => {
      const userId = me(actor);
      if (body.currentPin !== undefined && !(await dir.users.verifyPin(userId, body.currentPin))) {
        throw new ApiError('invalid', 'currentPin: does not match', [{ field: 'currentPin', message: 'does not match' }]);
      }
      svc.write(actor, { action: 'update', entity: 'users', entityId: userId, detail: { pin: body.newPin } }, () => dir.users.update(userId, { pin: body.newPin }));
      return undefined;
    },
  });

  routes.add<z.infer<typeof S.passwordChange>>({
    method: 'PUT',
    url: '/api/v1/me/password',
    summary: 'Change my own password (any account); other sessions end',
    tag: 'self-care',
    access: 'any',
    body: S.passwordChange,
    status: 204,
    handler: async ({ actor, body, auth, reply, req }) => {
      if (actor.via === 'cli') throw new ApiError('forbidden', 'use "account passwd" for the CLI');
      if (!(await accounts.verify(actor.username, body.currentPassword))) {
        throw new ApiError('invalid', 'currentPassword: wrong password', [{ field: 'currentPassword', message: 'wrong password' }]);
      }
      const hash = await hashPassword(body.newPassword);
      const s = svc.write(actor, { action: 'update', entity: 'accounts', entityId: actor.username, detail: { password: body.newPassword } }, () => {
        accounts.setPasswordHash(actor.username, hash);
        return auth?.sessionId !== undefined ? accounts.createSession(actor.username) : undefined;
      });
      if (s) {
        const secure = req.protocol === 'https' ? '; Secure' : '';
        reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(s.id)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor((s.expiresAt - Date.now()) / 1000)}${secure}`);
        reply.header('x-csrf-token', s.csrfToken);
      }
      return undefined;
    },
  });

  // ---- SNR on/off ---------------------------------------------------------------------------

  routes.add<z.infer<typeof S.snrSwitch>>({
    method: 'PUT',
    url: '/api/v1/me/snr',
    summary: 'Self-care: turn SNR on or off for all my remote destinations and my mobility identity (SNR-11 "ring all devices")',
    tag: 'self-care',
    access: 'any',
    body: S.snrSwitch,
    handler: ({ actor, body }) => {
      const userId = me(actor);
      return svc.write(actor, { action: body.enabled ? 'snr-on' : 'snr-off', entity: 'remote-destinations', entityId: `${userId}:*`, detail: body }, () =>
        dir.remoteDestinations.listByUser(userId).map((rd) => dir.remoteDestinations.update(rd.id, { enableSnr: body.enabled }).record),
      );
    },
  });

  routes.add<z.infer<typeof S.snrSwitch>>({
    method: 'PUT',
    url: '/api/v1/me/remote-destinations/:id/snr',
    summary: 'Self-care: turn SNR on or off for one remote destination or the mobility identity (SNR-10, SNR-13)',
    tag: 'self-care',
    access: 'any',
    body: S.snrSwitch,
    handler: ({ actor, body, params }) => {
      const userId = me(actor);
      const rd = ownRd(userId, params.id!);
      return svc.write(actor, { action: body.enabled ? 'snr-on' : 'snr-off', entity: 'remote-destinations', entityId: rd.id, detail: body }, () => dir.remoteDestinations.update(rd.id, { enableSnr: body.enabled }).record);
    },
  });

  const adminSnr = z.strictObject({ enabled: S.snrSwitch.shape.enabled, remoteDestination: z.string().optional() });
  routes.add<z.infer<typeof adminSnr>>({
    method: 'PUT',
    url: '/api/v1/users/:userId/snr',
    summary: "Turn SNR on or off for all of a user's remote destinations, or one (remoteDestination), in one transaction (SNR-10)",
    tag: 'users',
    access: 'admin',
    body: adminSnr,
    handler: ({ actor, body, params }) => {
      const userId = params.userId!;
      svc.requireUser(userId);
      const targets = body.remoteDestination !== undefined ? [ownRd(userId, body.remoteDestination)] : dir.remoteDestinations.listByUser(userId);
      return svc.write(actor, { action: body.enabled ? 'snr-on' : 'snr-off', entity: 'remote-destinations', entityId: body.remoteDestination ?? `${userId}:*`, detail: body }, () =>
        targets.map((rd) => dir.remoteDestinations.update(rd.id, { enableSnr: body.enabled }).record),
      );
    },
  });

  // ---- remote destinations ------------------------------------------------------------------

  routes.add({
    method: 'GET',
    url: '/api/v1/me/remote-destinations',
    summary: 'Self-care: my remote destinations and mobility identity',
    tag: 'self-care',
    access: 'any',
    handler: ({ actor }) => dir.remoteDestinations.listByUser(me(actor)),
  });

  routes.add<z.infer<typeof S.selfRdCreate>>({
    method: 'POST',
    url: '/api/v1/me/remote-destinations',
    summary: 'Self-care: add a remote destination (under my remote destination profile unless parent is given)',
    tag: 'self-care',
    access: 'any',
    body: S.selfRdCreate,
    status: 201,
    handler: ({ actor, body }) => {
      const userId = me(actor);
      checkRefs(userId, body);
      let parent: RdParent;
      if (body.parent) {
        const p = body.parent;
        const owner = p.kind === 'rdProfile' ? dir.rdProfiles.get(p.id)?.ownerUser : dir.devices.get(p.id)?.ownerUser;
        if (owner !== userId) throw new ApiError('invalid', `parent: "${p.id}" is not one of your profiles or devices`, [{ field: 'parent', message: 'not yours' }]);
        parent = p as RdParent;
      } else {
        const profile = dir.rdProfiles.list(userId)[0];
        if (!profile) throw new ApiError('invalid', 'parent: you have no remote destination profile; ask an administrator to create one', [{ field: 'parent', message: 'no remote destination profile' }]);
        parent = { kind: 'rdProfile', id: profile.id };
      }
      const { parent: _p, ...rest } = body;
      return svc.write(
        actor,
        { action: 'create', entity: 'remote-destinations', detail: body },
        () => dir.remoteDestinations.create({ ...(rest as Rec), parent, isMobilityIdentity: false } as never),
        (r) => r.record.id,
      );
    },
  });

  routes.add<z.infer<typeof S.selfRdPatch>>({
    method: 'PATCH',
    url: '/api/v1/me/remote-destinations/:id',
    summary: 'Self-care: change one of my remote destinations (number, name, SNR, timers, voicemail policy, schedule, access policy)',
    tag: 'self-care',
    access: 'any',
    body: S.selfRdPatch,
    handler: ({ actor, body, params }) => {
      const userId = me(actor);
      const rd = ownRd(userId, params.id!);
      checkRefs(userId, body);
      if (rd.isMobilityIdentity && body.number !== undefined) {
        throw new ApiError('forbidden', 'number: the mobility identity number is managed by the administrator', [{ field: 'number', message: 'managed by the administrator' }]);
      }
      return svc.write(actor, { action: 'update', entity: 'remote-destinations', entityId: rd.id, detail: body }, () => dir.remoteDestinations.update(rd.id, body as never));
    },
  });

  routes.add({
    method: 'DELETE',
    url: '/api/v1/me/remote-destinations/:id',
    summary: 'Self-care: delete one of my remote destinations (not the mobility identity)',
    tag: 'self-care',
    access: 'any',
    status: 204,
    handler: ({ actor, params }) => {
      const userId = me(actor);
      const rd = ownRd(userId, params.id!);
      if (rd.isMobilityIdentity) throw new ApiError('forbidden', 'the mobility identity is managed by the administrator');
      svc.write(actor, { action: 'delete', entity: 'remote-destinations', entityId: rd.id }, () => dir.remoteDestinations.delete(rd.id));
      return undefined;
    },
  });

  // ---- access lists and ring schedules -------------------------------------------------------

  routes.add({ method: 'GET', url: '/api/v1/me/access-lists', summary: 'Self-care: my access lists', tag: 'self-care', access: 'any', handler: ({ actor }) => dir.accessLists.list(me(actor)) });
  routes.add<z.infer<typeof S.selfAccessListCreate>>({
    method: 'POST',
    url: '/api/v1/me/access-lists',
    summary: 'Self-care: create an access list (allowed / blocked callers)',
    tag: 'self-care',
    access: 'any',
    body: S.selfAccessListCreate,
    status: 201,
    handler: ({ actor, body }) => {
      const userId = me(actor);
      return svc.write(actor, { action: 'create', entity: 'access-lists', detail: body }, () => dir.accessLists.create({ ...body, ownerUser: userId } as never), (r) => r.id);
    },
  });
  routes.add<z.infer<typeof S.selfAccessListPatch>>({
    method: 'PATCH',
    url: '/api/v1/me/access-lists/:id',
    summary: 'Self-care: change one of my access lists',
    tag: 'self-care',
    access: 'any',
    body: S.selfAccessListPatch,
    handler: ({ actor, body, params }) => {
      const l = ownList(me(actor), params.id!);
      return svc.write(actor, { action: 'update', entity: 'access-lists', entityId: l.id, detail: body }, () => dir.accessLists.update(l.id, body as never));
    },
  });
  routes.add({
    method: 'DELETE',
    url: '/api/v1/me/access-lists/:id',
    summary: 'Self-care: delete one of my access lists (refused while a destination uses it)',
    tag: 'self-care',
    access: 'any',
    status: 204,
    handler: ({ actor, params }) => {
      const l = ownList(me(actor), params.id!);
      svc.write(actor, { action: 'delete', entity: 'access-lists', entityId: l.id }, () => dir.accessLists.delete(l.id));
      return undefined;
    },
  });

  routes.add({ method: 'GET', url: '/api/v1/me/ring-schedules', summary: 'Self-care: my ring schedules', tag: 'self-care', access: 'any', handler: ({ actor }) => dir.ringSchedules.list(me(actor)) });
  routes.add<z.infer<typeof S.selfScheduleCreate>>({
    method: 'POST',
    url: '/api/v1/me/ring-schedules',
    summary: 'Self-care: create a ring schedule (weekday + time-range entries, my time zone)',
    tag: 'self-care',
    access: 'any',
    body: S.selfScheduleCreate,
    status: 201,
    handler: ({ actor, body }) => {
      const userId = me(actor);
      return svc.write(actor, { action: 'create', entity: 'ring-schedules', detail: body }, () => dir.ringSchedules.create({ ...body, ownerUser: userId } as never), (r) => r.id);
    },
  });
  routes.add<z.infer<typeof S.selfSchedulePatch>>({
    method: 'PATCH',
    url: '/api/v1/me/ring-schedules/:id',
    summary: 'Self-care: change one of my ring schedules',
    tag: 'self-care',
    access: 'any',
    body: S.selfSchedulePatch,
    handler: ({ actor, body, params }) => {
      const s = ownSchedule(me(actor), params.id!);
      return svc.write(actor, { action: 'update', entity: 'ring-schedules', entityId: s.id, detail: body }, () => dir.ringSchedules.update(s.id, body as never));
    },
  });
  routes.add({
    method: 'DELETE',
    url: '/api/v1/me/ring-schedules/:id',
    summary: 'Self-care: delete one of my ring schedules (refused while a destination uses it)',
    tag: 'self-care',
    access: 'any',
    status: 204,
    handler: ({ actor, params }) => {
      const s = ownSchedule(me(actor), params.id!);
      svc.write(actor, { action: 'delete', entity: 'ring-schedules', entityId: s.id }, () => dir.ringSchedules.delete(s.id));
      return undefined;
    },
  });
}
