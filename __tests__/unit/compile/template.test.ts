/**
 * lib/compile/template.ts: the tokens of Apache's do_expand (mod_rewrite.c), read once at load:
 * `\X` is X, `$N`/`%N` one digit only (AP_MAX_REG_MATCH = 10), `%{VAR}`, `${map:key|default}`
 * (colon and bar found directly inside the braces), and `${`/`%{` without a closing brace, `${x}`
 * without a colon and a lone `$`/`%` stay literal (apache-semantics.md §1.5).
 */
import {
  MAX_TEMPLATE_NESTING,
  parseTemplate,
  templateVariables,
  TemplateLimitError,
  type Template,
} from '../../../lib/compile/template';

/** A compact reading of the parts: literal text as is, the rest in angle brackets. */
function render(t: Template): string {
  return t.parts
    .map((p) => {
      switch (p.type) {
        case 'lit':
        case 'esc':
          return p.s;
        case 'rr':
          return `<$${p.n}>`;
        case 'rc':
          return `<%${p.n}>`;
        case 'var':
          return `<var ${p.name}>`;
        case 'map':
          return `<map ${p.map} key=${render(p.key)}${p.dflt ? ` dflt=${render(p.dflt)}` : ''}>`;
      }
    })
    .join('');
}

describe('parseTemplate: the tokens of do_expand', () => {
  test.each<[string, string, boolean]>([
    ['/plain', '/plain', true],
    ['/p/$1', '/p/<$1>', false],
    ['/p/$10', '/p/<$1>0', false], // $10 is $1 then 0
    ['%1-%9', '<%1>-<%9>', false],
    ['\\$1', '$1', true],
    ['\\%{HTTP_HOST}', '%{HTTP_HOST}', true],
    ['a\\\\b', 'a\\b', true],
    ['trailing\\', 'trailing\\', true],
    ['$', '$', true],
    ['100%', '100%', true],
    ['$a%b', '$a%b', true],
    ['%{HTTP_HOST}', '<var HTTP_HOST>', false],
    ['%{HTTP_HOST', '%{HTTP_HOST', true], // unclosed: literal
    ['${lc:$1}', '<map lc key=<$1>>', false],
    ['${lc:$1|none}', '<map lc key=<$1> dflt=none>', false],
    ['${lc:a|b|c}', '<map lc key=a dflt=b|c>', false], // the first bar splits
    ['${lc:a:b}', '<map lc key=a:b>', false], // the first colon splits
    ['${nocolon}', '${nocolon}', true],
    ['${lc:x', '${lc:x', true],
    [
      '${a:${b:k|d1}|${c:%{HTTP_HOST}}}',
      '<map a key=<map b key=k dflt=d1> dflt=<map c key=<var HTTP_HOST>>>',
      false,
    ],
    ['${a:{b|c}}', '<map a key={b|c}>', false], // a bar inside nested braces is not the default
    ['', '', true],
  ])('%j → %s', (text, expected, constant) => {
    const t = parseTemplate(text);
    expect(render(t)).toBe(expected);
    expect(t.constant).toBe(constant);
    expect(t.text).toBe(text);
  });

  test('templateVariables lists variables in keys and defaults too', () => {
    const t = parseTemplate('%{A}${m:%{B}|%{C}}$1');
    expect(templateVariables(t)).toEqual(['A', 'B', 'C']);
  });

  test.each([
    [MAX_TEMPLATE_NESTING, false],
    [MAX_TEMPLATE_NESTING + 1, true],
  ])('${m: nested %i levels deep: refused = %s', (levels, refused) => {
    const text = '${m:'.repeat(levels) + 'k' + '}'.repeat(levels);
    if (refused) expect(() => parseTemplate(text)).toThrow(TemplateLimitError);
    else expect(() => parseTemplate(text)).not.toThrow();
  });
});
