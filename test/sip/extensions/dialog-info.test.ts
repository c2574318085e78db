/** RFC 4235 dialog-info+xml bodies: build, parse back, held/Replaces helpers, hostile input. */
import { describe, expect, it } from 'vitest';
import {
  DIALOG_INFO_NS,
  type DialogInfoDocument,
  HELD_PARAM,
  buildDialogInfo,
  isHeld,
  parseDialogInfo,
  replacesForDialog,
} from '../../../src/sip/extensions/dialog-info.js';
import { serializeReplaces } from '../../../src/sip/extensions/replaces.js';
import { SipSyntaxError } from '../../../src/sip/message/grammar.js';

const held: DialogInfoDocument = {
  version: 3,
  state: 'full',
  entity: 'sip:5001@example.com',
  dialogs: [
    {
      id: 'pickup-1',
      callId: 'far-call@10.0.0.1',
      localTag: 'srv-tag',
      remoteTag: 'far-tag',
      direction: 'recipient',
      state: 'confirmed',
      local: { identity: 'sip:5001@example.com', target: 'sip:5001@example.com', targetParams: [HELD_PARAM] },
      remote: { identity: 'sip:+19725553456@example.com', display: 'C & "Co" <x>', target: 'sip:+19725553456@10.0.0.1' },
    },
  ],
};

describe('dialog-info build', () => {
  it('writes the RFC 4235 elements a pickup offer needs', () => {
    const xml = buildDialogInfo(held);
    expect(xml).toContain(`<dialog-info xmlns="${DIALOG_INFO_NS}" version="3" state="full" entity="sip:5001@example.com">`);
    expect(xml).toContain('<dialog id="pickup-1" call-id="far-call@10.0.0.1" local-tag="srv-tag" remote-tag="far-tag" direction="recipient">');
    expect(xml).toContain('<state>confirmed</state>');
    expect(xml).toContain('<target uri="sip:5001@example.com">');
    expect(xml).toContain('<param pname="+sip.rendering" pval="no"/>');
    expect(xml).toContain('display="C &amp; &quot;Co&quot; &lt;x&gt;"');
  });

  it('an empty full document clears every dialog', () => {
    const xml = buildDialogInfo({ version: 0, state: 'full', entity: 'sip:5001@example.com', dialogs: [] });
    expect(parseDialogInfo(xml)).toEqual({ version: 0, state: 'full', entity: 'sip:5001@example.com', dialogs: [] });
  });

  it('rejects a bad version and a dialog without id', () => {
    expect(() => buildDialogInfo({ ...held, version: -1 })).toThrow(RangeError);
    expect(() => buildDialogInfo({ ...held, dialogs: [{ id: '', state: 'trying' }] })).toThrow(RangeError);
  });
});

describe('dialog-info parse', () => {
  it('round-trips what it builds', () => {
    expect(parseDialogInfo(buildDialogInfo(held))).toEqual(held);
  });

  it('reads terminated state attributes, duration, replaces and namespace prefixes', () => {
    const xml = `<?xml version="1.0"?>
<!-- a comment -->
<d:dialog-info xmlns:d="urn:ietf:params:xml:ns:dialog-info" version="7" state="partial" entity="sip:bob@example.com">
  <d:dialog id="x1" call-id="c1" local-tag="l1" remote-tag="r1" direction="initiator">
    <d:state event="replaced" code="200">terminated</d:state>
    <d:duration>42</d:duration>
    <d:replaces call-id="c0" local-tag="l0" remote-tag="r0"/>
    <d:referred-by>sip:alice@example.com</d:referred-by>
  </d:dialog>
</d:dialog-info>`;
    const doc = parseDialogInfo(xml);
    expect(doc.version).toBe(7);
    expect(doc.state).toBe('partial');
    expect(doc.dialogs[0]).toEqual({
      id: 'x1',
      callId: 'c1',
      localTag: 'l1',
      remoteTag: 'r1',
      direction: 'initiator',
      state: 'terminated',
      stateEvent: 'replaced',
      stateCode: 200,
      duration: 42,
      replaces: { callId: 'c0', localTag: 'l0', remoteTag: 'r0' },
      referredBy: 'sip:alice@example.com',
    });
  });

  it('held and Replaces helpers read the notifier view (to-tag = local-tag)', () => {
    const d = parseDialogInfo(buildDialogInfo(held)).dialogs[0]!;
    expect(isHeld(d)).toBe(true);
    expect(isHeld({ ...d, local: { identity: 'sip:5001@example.com' } })).toBe(false);
    expect(serializeReplaces(replacesForDialog(d)!)).toBe('far-call@10.0.0.1;to-tag=srv-tag;from-tag=far-tag');
    expect(replacesForDialog({ id: 'y', state: 'confirmed' })).toBeUndefined();
  });

  it.each([
    ['DOCTYPE (entity expansion)', '<!DOCTYPE x [<!ENTITY a "aaaa">]><dialog-info version="0" state="full" entity="e">&a;</dialog-info>'],
    ['another root element', '<presence version="0" state="full" entity="e"/>'],
    ['mismatched tags', '<dialog-info version="0" state="full" entity="e"><dialog id="1"><state>early</dialog></state></dialog-info>'],
    ['unclosed element', '<dialog-info version="0" state="full" entity="e"><dialog id="1">'],
    ['a bad state', '<dialog-info version="0" state="full" entity="e"><dialog id="1"><state>ringing</state></dialog></dialog-info>'],
    ['no version', '<dialog-info state="full" entity="e"/>'],
    ['two roots', '<dialog-info version="0" state="full" entity="e"/><dialog-info version="1" state="full" entity="e"/>'],
    ['a dialog without id', '<dialog-info version="0" state="full" entity="e"><dialog><state>early</state></dialog></dialog-info>'],
  ])('refuses %s', (_name, xml) => {
    expect(() => parseDialogInfo(xml)).toThrow(SipSyntaxError);
  });

  it('refuses very deep nesting without recursion trouble', () => {
    const deep = `<dialog-info version="0" state="full" entity="e">${'<a>'.repeat(100)}${'</a>'.repeat(100)}</dialog-info>`;
    expect(() => parseDialogInfo(deep)).toThrow(SipSyntaxError);
  });
});
