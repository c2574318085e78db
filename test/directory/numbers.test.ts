import { describe, expect, it } from 'vitest';
import {
  applyNumberRules,
  cleanCallingNumber,
  extractCallingNumber,
  FIXTURE_INBOUND_RULES,
  globalise,
  localise,
  validateNumberRules,
  type NumberRule,
} from '../../src/directory/index.js';

const UK_IN: NumberRule[] = [
  { match: '00!', strip: 2, prefix: '+' },
  { match: '0[1-9]!', strip: 1, prefix: '+44' },
];
const UK_OUT: NumberRule[] = [
  { match: '\\+44!', strip: 3, prefix: '0' },
  { match: '\\+!', strip: 1, prefix: '00' },
];
const NANP_IN: NumberRule[] = [
  { match: '[2-9]XX[2-9]XXXXXX', prefix: '+1' },
  { match: '1[2-9]XX[2-9]XXXXXX', prefix: '+' },
];

describe('globalise (GEN-09)', () => {
  it('UK: national 0 → +44, 00 → +', () => {
    expect(globalise('02071234567', UK_IN)).toBe('+442071234567');
    expect(globalise('0033142685300', UK_IN)).toBe('+33142685300');
    expect(globalise('+442071234567', UK_IN)).toBe('+442071234567');
  });
  it('NANP: 10 digits → +1, 11 digits starting 1 → +', () => {
    expect(globalise('4085557890', NANP_IN)).toBe('+14085557890');
    expect(globalise('14085557890', NANP_IN)).toBe('+14085557890');
    expect(globalise('1239876', NANP_IN)).toBe('1239876');
    expect(globalise('1085557890', NANP_IN)).toBe('1085557890');
  });
  it('first matching rule ends processing unless it says continue', () => {
    const rules: NumberRule[] = [
      { match: '[2-9]XX[2-9]XXXXXX', prefix: '+1' },
      { match: '\\+1!', replace: 'never' },
    ];
    expect(globalise('4085557890', rules)).toBe('+14085557890');
    expect(globalise('4085557890', [{ ...rules[0]!, continue: true }, rules[1]!])).toBe('never');
  });
  it('applyTo limits a rule to the called or calling number (DID → DN)', () => {
    expect(globalise('4085552999', FIXTURE_INBOUND_RULES, 'called')).toBe('2000');
    expect(globalise('+14085552999', FIXTURE_INBOUND_RULES, 'called')).toBe('2000');
    expect(globalise('+14085552999', FIXTURE_INBOUND_RULES, 'calling')).toBe('+14085552999');
    expect(globalise('01144201234567', FIXTURE_INBOUND_RULES, 'calling')).toBe('+44201234567');
  });
  it('regex rules with a replace template', () => {
    const rules: NumberRule[] = [{ match: '/^\\+1408555(2\\d{3})$/', replace: '$1', applyTo: 'called' }];
    expect(globalise('+14085552001', rules, 'called')).toBe('2001');
    expect(globalise('+14085559001', rules, 'called')).toBe('+14085559001');
  });
  it('strip beyond the length removes everything', () => {
    expect(applyNumberRules('12345', [{ match: '!', strip: 99, prefix: '7' }], 'called')).toBe('7');
  });
});

describe('localise', () => {
  it('UK: +44 → 0, other + → 00', () => {
    expect(localise('+442071234567', UK_OUT)).toBe('02071234567');
    expect(localise('+14085557890', UK_OUT)).toBe('0014085557890');
    expect(localise('2000', UK_OUT)).toBe('2000');
  });
  it('globalise ∘ localise round-trips for the UK rule set', () => {
    for (const n of ['+442071234567', '+33142685300', '+14085557890']) expect(globalise(localise(n, UK_OUT), UK_IN)).toBe(n);
  });
});

describe('validateNumberRules', () => {
  it('accepts valid rule lists', () => {
    expect(validateNumberRules([...UK_IN, ...FIXTURE_INBOUND_RULES])).toEqual([]);
  });
  it('names each problem', () => {
    expect(validateNumberRules('x')).toEqual(['rules: must be a list']);
    expect(
      validateNumberRules([{ match: '5+' }, { match: '/[/' }, { strip: -1, match: 'X' }, { match: 'X', applyTo: 'both', foo: 1 }, { match: 'X', continue: 'y' }]),
    ).toEqual([
      'rules[0].match: invalid pattern "5+": write a literal "+" as "\\+"',
      expect.stringContaining('rules[1].match: Invalid regular expression'),
      'rules[2].strip: must be an integer ≥ 0',
      'rules[3].foo: unknown key',
      'rules[4].continue: must be true or false',
    ]);
  });
});

describe('caller-ID source (CID-01)', () => {
  it('trusted trunk: PAI user part, even with Privacy: id', () => {
    expect(extractCallingNumber({ trusted: true, paiUser: '+14085557890', fromUser: 'anonymous', privacyId: true })).toEqual({
      number: '+14085557890',
      source: 'pai',
      withheld: true,
      notAvailable: false,
    });
  });
  it('untrusted trunk: PAI ignored, From used', () => {
    expect(extractCallingNumber({ trusted: false, paiUser: '+14085557890', fromUser: '4085550000' })).toMatchObject({ number: '4085550000', source: 'from' });
  });
  it('no PAI: From user part', () => {
    expect(extractCallingNumber({ trusted: true, fromUser: '+19725553456' })).toMatchObject({ number: '+19725553456', source: 'from', withheld: false });
  });
  it('tel: URIs and parameters: separators and ;phone-context dropped', () => {
    expect(cleanCallingNumber('tel:+1-408-555-7890;phone-context=example.com')).toBe('+14085557890');
    expect(cleanCallingNumber('+1 (408) 555.7890;npdi')).toBe('+14085557890');
    expect(cleanCallingNumber('%2B14085557890')).toBe('+14085557890');
    expect(cleanCallingNumber('4085557890;isub=1')).toBe('4085557890');
  });
  it('anonymous / unavailable / names: matching not possible', () => {
    expect(extractCallingNumber({ trusted: true, fromUser: 'anonymous' })).toEqual({ number: null, source: null, withheld: true, notAvailable: true });
    expect(extractCallingNumber({ trusted: false, fromUser: 'unavailable' })).toMatchObject({ number: null, withheld: false, notAvailable: true });
    expect(extractCallingNumber({ trusted: false, fromUser: 'alice' })).toMatchObject({ number: null, notAvailable: true });
    expect(extractCallingNumber({ trusted: false, fromUser: null })).toMatchObject({ number: null, notAvailable: true });
    expect(extractCallingNumber({ trusted: false, fromUser: '4085557890', fromAnonymous: true })).toMatchObject({ number: null, withheld: true });
  });
  it('Privacy: id with a usable From number: the number is used and marked withheld', () => {
    expect(extractCallingNumber({ trusted: false, fromUser: '+14085557890', privacyId: true })).toMatchObject({ number: '+14085557890', withheld: true });
  });
  it('trusted PAI without digits falls back to From', () => {
    expect(extractCallingNumber({ trusted: true, paiUser: 'anonymous', fromUser: '+14085557890' })).toMatchObject({ number: '+14085557890', source: 'from' });
  });
});
