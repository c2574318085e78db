import { describe, expect, it } from 'vitest';
import {
  SipSyntaxError,
  isToken,
  parseParams,
  quote,
  readQuoted,
  serializeParams,
  splitList,
} from '../../../src/sip/message/grammar.js';

describe('splitList', () => {
  it('splits on top-level commas and trims the elements', () => {
    expect(splitList('INVITE, ACK ,CANCEL')).toEqual(['INVITE', 'ACK', 'CANCEL']);
  });

  it('returns one element without commas and none for blank values', () => {
    expect(splitList('  timer ')).toEqual(['timer']);
    expect(splitList('')).toEqual([]);
    expect(splitList('   ')).toEqual([]);
  });

  it('drops empty elements between commas', () => {
    expect(splitList('a,,b, ,')).toEqual(['a', 'b']);
  });

  it('does not split inside quoted strings, including escaped quotes', () => {
    expect(splitList('"Doe, John" <sip:j@x>, <sip:k@y>')).toEqual(['"Doe, John" <sip:j@x>', '<sip:k@y>']);
    expect(splitList('"a \\", b" <sip:a@x>, <sip:b@y>')).toEqual(['"a \\", b" <sip:a@x>', '<sip:b@y>']);
  });

  it('does not split inside <...> (URI headers may contain commas)', () => {
    expect(splitList('<sip:a@x?Subject=a,b>;q=1, <sip:c@y>')).toEqual(['<sip:a@x?Subject=a,b>;q=1', '<sip:c@y>']);
  });

  it('throws SipSyntaxError on an unterminated quoted string', () => {
    expect(() => splitList('"abc, def')).toThrow(SipSyntaxError);
  });
});

describe('parseParams', () => {
  it('parses flags and name=value pairs in order, names lower-cased', () => {
    const p = parseParams(';Branch=z9hG4bKx;rport;Received=192.0.2.1');
    expect([...p.entries()]).toEqual([
      ['branch', 'z9hG4bKx'],
      ['rport', null],
      ['received', '192.0.2.1'],
    ]);
  });

  it('keeps value case unless asked to lower-case values', () => {
    expect(parseParams(';transport=TCP').get('transport')).toBe('TCP');
    expect(parseParams(';transport=TCP', true).get('transport')).toBe('tcp');
  });

  it('accepts whitespace around ; and = (SEMI and EQUAL allow SWS)', () => {
    const p = parseParams(' ;  tag    = 1918181833n ; q = 0.33 ;flag');
    expect(p.get('tag')).toBe('1918181833n');
    expect(p.get('q')).toBe('0.33');
    expect(p.get('flag')).toBeNull();
  });

  it('unquotes quoted values and resolves escapes', () => {
    expect(parseParams(';x="a;b=c \\"q\\""').get('x')).toBe('a;b=c "q"');
  });

  it('returns an empty map for empty text', () => {
    expect(parseParams('').size).toBe(0);
  });

  it('rejects empty names, empty values, junk and non-token names', () => {
    expect(() => parseParams(';;')).toThrow(SipSyntaxError);
    expect(() => parseParams(';=x')).toThrow(SipSyntaxError);
    expect(() => parseParams(';a=')).toThrow(SipSyntaxError);
    expect(() => parseParams('x;a')).toThrow(SipSyntaxError);
    expect(() => parseParams(';a"b=1')).toThrow(SipSyntaxError);
    expect(() => parseParams(';a="open')).toThrow(SipSyntaxError);
  });

  it('skips empty parameters when asked to be lenient', () => {
    const p = parseParams(';;branch=x;;;rport;', false, true);
    expect([...p.keys()]).toEqual(['branch', 'rport']);
  });

  it('stores __proto__ and friends as ordinary keys', () => {
    const p = parseParams(';__proto__=x;constructor;toString=y');
    expect(p.get('__proto__')).toBe('x');
    expect(p.get('constructor')).toBeNull();
    expect(p.get('tostring')).toBe('y');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('keeps the last value when a name repeats', () => {
    expect(parseParams(';a=1;A=2').get('a')).toBe('2');
  });
});

describe('serializeParams', () => {
  it('writes flags and values, quoting values that are not tokens', () => {
    const p = new Map<string, string | null>([
      ['lr', null],
      ['tag', 'abc'],
      ['received', '2001:db8::1'],
      ['text', 'a b'],
      ['empty', ''],
      ['q', 'say "hi"'],
    ]);
    expect(serializeParams(p)).toBe(';lr;tag=abc;received=2001:db8::1;text="a b";empty="";q="say \\"hi\\""');
  });

  it('round-trips through parseParams', () => {
    const text = ';a=1;b;c="x y";d=[2001:db8::1]';
    expect(serializeParams(parseParams(text))).toBe(text);
  });
});

describe('readQuoted / quote', () => {
  it('reads a quoted string and returns the index after it', () => {
    expect(readQuoted('x"ab\\"c\\\\"rest', 1)).toEqual({ value: 'ab"c\\', end: 10 });
  });

  it('throws on unterminated strings (also when the text ends in a backslash)', () => {
    expect(() => readQuoted('"abc', 0)).toThrow(SipSyntaxError);
    expect(() => readQuoted('"abc\\', 0)).toThrow(SipSyntaxError);
  });

  it('quote escapes quotes and backslashes', () => {
    expect(quote('J Rosenberg \\"')).toBe('"J Rosenberg \\\\\\""');
    expect(readQuoted(quote('a"b\\c'), 0).value).toBe('a"b\\c');
  });
});

describe('isToken', () => {
  it('accepts the RFC 3261 token characters', () => {
    expect(isToken("!interesting-Method0123456789_*+`.%indeed'~")).toBe(true);
    expect(isToken('INVITE')).toBe(true);
  });

  it('rejects empty strings, separators and non-ASCII', () => {
    for (const s of ['', 'a b', 'a:b', 'a;b', 'a"b', 'a/b', 'a(b', 'ä', 'a\u0000']) expect(isToken(s), s).toBe(false);
  });
});
