import { describe, expect, it } from 'vitest';
import { compilePattern, DialPlan, matchPattern, PatternError, validatePattern, type DialPlanEntry } from '../../src/directory/index.js';

const trunk = (id: string) => ({ kind: 'trunk', id }) as const;

const entries: DialPlanEntry[] = [
  { partition: 'P1', pattern: '5001', target: { kind: 'line', id: 'L5001' } },
  { partition: 'P1', pattern: '5XXX', target: trunk('T5-P1') },
  { partition: 'P1', pattern: '50[0-4]X', target: trunk('T50') },
  { partition: 'P1', pattern: '9.1[2-9]XX[2-9]XXXXXX', target: trunk('TN'), stripPreDot: true, prefix: '+' },
  { partition: 'P1', pattern: '9.!', target: trunk('TAny'), stripPreDot: true },
  { partition: 'P1', pattern: '\\+!', target: trunk('TE') },
  { partition: 'P1', pattern: '91!', target: trunk('T91bang') },
  { partition: 'P1', pattern: '91XX', target: trunk('T91XX') },
  { partition: 'P1', pattern: '*71XXXX', target: { kind: 'feature', id: 'parkRetrieve' } },
  { partition: 'P1', pattern: '7[^0-7]0', target: trunk('Tneg') },
  { partition: 'P2', pattern: '5XXX', target: trunk('T5-P2') },
  { partition: 'P2', pattern: '9.011!', target: trunk('TI'), stripPreDot: true },
  { partition: 'P2', pattern: '[135]000', target: trunk('T135') },
  { partition: 'P2', pattern: '2000', target: { kind: 'line', id: 'L2000' } },
  { partition: 'P2', pattern: '6XX#', target: trunk('Thash') },
  { partition: 'P2', pattern: '3XXX', target: trunk('T3-first') },
  { partition: 'P2', pattern: '3XXX', target: trunk('T3-second') },
];

const plan = new DialPlan(entries, [
  { name: 'A', partitions: ['P1', 'P2'] },
  { name: 'B', partitions: ['P2', 'P1'] },
  { name: 'only1', partitions: ['P1'] },
  { name: 'only2', partitions: ['P2'] },
  { name: 'empty', partitions: [] },
]);

const target = (dialed: string, css: string | string[] = 'A') => {
  const m = plan.resolve(dialed, css);
  return m ? (m.target.kind === 'trunk' ? m.target.id : `${m.target.kind}:${m.target.id}`) : undefined;
};

describe('dial plan resolution', () => {
  it.each([
    ['exact DN beats every pattern', '5001', 'A', 'line:L5001'],
    ['fewer alternatives wins: 50[0-4]X (50) over 5XXX (1000)', '5042', 'A', 'T50'],
    ['5XXX in both partitions: tie broken by CSS order (A)', '5099', 'A', 'T5-P1'],
    ['5XXX in both partitions: tie broken by CSS order (B)', '5099', 'B', 'T5-P2'],
    ['exact DN in the later partition still beats a pattern in the first', '2000', 'A', 'line:L2000'],
    ['NANP pattern (6.4e9) beats 9.! (1e11)', '914085551234', 'A', 'TN'],
    ['9.011! (1e10) beats 9.! (1e12) across partitions', '9011441234567', 'A', 'TI'],
    ['! matches a single digit', '90', 'A', 'TAny'],
    ['! needs at least one digit', '9', 'A', undefined],
    ['\\+ matches a literal plus', '+14085551234', 'A', 'TE'],
    ['no pattern matches a bare national number', '14085551234', 'A', undefined],
    ['[135] class', '3000', 'A', 'T135'],
    ['[135] class excludes 2', '4000', 'only2', undefined],
    ['equal count: fixed-length 91XX beats 91!', '9123', 'only1', 'T91XX'],
    ['91! on a longer string loses to 9.1 NANP? no: 91! (1e10) vs NANP (6.4e9)', '914085551234', 'only1', 'TN'],
    ['91! when nothing more specific matches', '91234', 'only1', 'T91bang'],
    ['* literal and X digits', '*717001', 'A', 'feature:parkRetrieve'],
    ['negated class [^0-7]', '790', 'A', 'Tneg'],
    ['negated class refuses 0-7', '770', 'A', undefined],
    ['# literal', '612#', 'A', 'Thash'],
    ['a partition outside the CSS is not searched', '2000', 'only1', undefined],
    ['identical patterns in one partition: the first defined wins', '3001', 'A', 'T3-first'],
    ['unknown CSS routes nothing', '5001', 'nope', undefined],
    ['empty CSS routes nothing', '5001', 'empty', undefined],
    ['several CSSs searched as one (line CSS first)', '5099', ['only2', 'only1'], 'T5-P2'],
    ['letters are not digits', '50A1', 'A', undefined],
  ])('%s', (_name, dialed, css, expected) => {
    expect(target(dialed as string, css as string)).toBe(expected);
  });

  it('strips the PreDot digits and adds the prefix', () => {
    const m = plan.resolve('914085551234', 'A')!;
    expect(m.preDot).toBe('9');
    expect(m.postDot).toBe('14085551234');
    expect(m.calledNumber).toBe('+14085551234');
    expect(plan.resolve('9011441234567', 'A')!.calledNumber).toBe('011441234567');
    expect(plan.resolve('5042', 'A')!.calledNumber).toBe('5042');
  });

  it('reports the specificity', () => {
    expect(plan.resolve('5001', 'A')!.alternatives).toBe(1n);
    expect(plan.resolve('5042', 'A')!.alternatives).toBe(50n);
    const bang = plan.resolve('91234', 'only1')!;
    expect(bang.variable).toBe(true);
    expect(bang.alternatives).toBe(1000n);
  });

  it('empty dialled string routes nothing', () => {
    expect(plan.resolve('', 'A')).toBeUndefined();
  });
});

describe('patterns', () => {
  it('compile once (cached)', () => {
    expect(compilePattern('9.1XXXXXXXXXX')).toBe(compilePattern('9.1XXXXXXXXXX'));
  });
  it('exact numbers are recognised', () => {
    expect(compilePattern('\\+14085556666').exact).toBe('+14085556666');
    expect(compilePattern('9.5001').exact).toBe('95001');
    expect(compilePattern('5XXX').exact).toBeNull();
  });
  it('dot is not matched', () => {
    expect(matchPattern(compilePattern('9.5001'), '95001')).not.toBeNull();
    expect(matchPattern(compilePattern('9.5001'), '9.5001')).toBeNull();
  });
  it.each([
    ['', 'empty'],
    ['5+', 'write a literal "+" as "\\+"'],
    ['[5-3]', 'bad range'],
    ['[a]', 'may contain only digits'],
    ['[12', 'unclosed'],
    ['9..1', 'more than one "."'],
    ['\\1', 'may only escape "+"'],
    ['5?', 'unsupported character "?"'],
    ['.', 'matches nothing'],
    ['[^0-9]', 'matches nothing'],
  ])('refuses %j (%s)', (p, reason) => {
    expect(() => compilePattern(p)).toThrow(PatternError);
    expect(validatePattern(p)).toContain(reason);
  });
  it('a plan with an invalid pattern is refused', () => {
    expect(() => new DialPlan([{ partition: 'P', pattern: '5+', target: trunk('x') }], [])).toThrow(PatternError);
  });
});
