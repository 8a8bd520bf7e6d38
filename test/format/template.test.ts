import { describe, expect, test } from 'vitest';
import { isStrataError } from '../../src/errors.js';
import { ellipsis } from '../../src/format/text.js';
import {
  type ExecuteOptions,
  isTableFormat,
  parseTemplate,
  renderTableOrLines,
  stripTable,
} from '../../src/cli/format/template.js';
import { humanSizeWithPrecision } from '../../src/format/units.js';

const run = (tmpl: string, data?: unknown, opts?: ExecuteOptions) => parseTemplate(tmpl).execute(data, opts);

/** The usage error a call throws, as its message. */
function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isStrataError(e) && e.kind === 'usage') return e.message;
    throw e;
  }
  throw new Error('expected a usage error');
}

const image = {
  Id: 'sha256:abc',
  RepoTags: ['busybox:latest', 'busybox:1.36'],
  Size: 4_261_550,
  Config: {
    Labels: { 'a.b': 'c & d', maintainer: 'me' },
    Entrypoint: null,
    Cmd: ['sh'],
    Env: ['PATH=/bin', 'A=1'],
  },
  Os: 'linux',
};

describe('fields and values', () => {
  test.each([
    ['{{.}}', 'abc', 'abc'],
    ['{{.Os}}', image, 'linux'],
    ['{{.Config.Cmd}}', image, '[sh]'],
    ['{{.Config.Labels}}', image, 'map[a.b:c & d maintainer:me]'],
    ['{{.Size}}', image, '4261550'],
    ['{{.RepoTags}}', image, '[busybox:latest busybox:1.36]'],
    ['{{.Missing}}', image, '<no value>'],
    ['{{.Config.Missing.Deeper}}', image, '<no value>'],
    ['{{.Config.Entrypoint}}', image, '<no value>'], // JSON null at the end of a pipeline
    ['{{.}}', { a: [1, null, { b: true }], f: 2.5 }, 'map[a:[1 <nil> map[b:true]] f:2.5]'],
    ['{{.}}', undefined, '<no value>'],
    ['{{.X}}', null, '<no value>'],
    ['{{.toString}}', {}, '<no value>'], // only own keys count
    ['{{.F}}', { F: 1e21 }, '1e+21'],
    ['{{.F}}', { F: -0.000001 }, '-1e-06'],
    ['a{{"b"}}c', {}, 'abc'],
  ])('%s', (tmpl, data, want) => {
    expect(run(tmpl, data)).toBe(want);
  });

  test('literals', () => {
    expect(run('{{"a\\tb\\u00e9\\x41\\101"}}')).toBe('a\tbéAA');
    expect(run('{{`raw\\n`}}')).toBe('raw\\n');
    expect(run("{{'a'}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{-5}} {{+3}}")).toBe(
      '97 31 15 15 5 1000 -5 3',
    );
    expect(run('{{1.5}} {{1e3}} {{.5}} {{true}} {{false}}')).toBe('1.5 1000 0.5 true false');
  });
});

describe('functions', () => {
  test.each([
    ['{{json .}}', { b: 'x & <y>', a: [1, 2] }, '{"b":"x & <y>","a":[1,2]}'],
    ['{{json .Config.Labels}}', image, '{"a.b":"c & d","maintainer":"me"}'],
    ['{{json .Config.Entrypoint}}', image, 'null'],
    ['{{json .Missing}}', image, 'null'],
    ['{{.Config.Cmd | json}}', image, '["sh"]'],
    ['{{json "a\\u2028b"}}', {}, '"a\\u2028b"'],
    ['{{join .RepoTags ", "}}', image, 'busybox:latest, busybox:1.36'],
    ['{{join .L "-"}}', { L: [1, 'a', null, true] }, '1-a-<nil>-true'],
    ['{{join .M ","}}', { M: { x: 'b', y: 'a' } }, 'a,b'],
    ['{{join .Missing ","}}', {}, ''],
    ['{{index .Config.Labels "a.b"}}', image, 'c & d'],
    ['{{index .Config.Labels "nope"}}', image, ''], // a map of strings: "" like Docker's map[string]string
    ['{{index .NoLabels "x"}}', {}, ''],
    ['{{index .M "nope"}}', { M: { n: 1 } }, '<no value>'],
    ['{{index .RepoTags 1}}', image, 'busybox:1.36'],
    ['{{index .G 1 0}}', { G: [[1], ['x', 'y']] }, 'x'],
    ['{{index "abc" 1}}', {}, '98'],
    ['{{len .RepoTags}} {{len .Config.Labels}} {{len "héllo"}}', image, '2 2 6'],
    ['{{upper "abc"}} {{lower "ÀBÇ"}} {{upper "straße"}}', {}, 'ABC àbç STRAßE'],
    ['{{title "hello world-foo_bar héllo"}}', {}, 'Hello World-Foo_bar Héllo'],
    ['{{split "a,b,c" ","}}', {}, '[a b c]'],
    ['{{index (split "k=v" "=") 1}}', {}, 'v'],
    ['{{split "ab" ""}}', {}, '[a b]'],
    ['{{truncate "abcdef" 3}}|{{truncate "ab" 3}}|{{truncate "abc" 3}}', {}, 'abc|ab|abc'],
    ['{{truncate "héllo" 2}}', {}, 'h'], // a UTF-8 character cut in half is dropped
    ['[{{pad "ab" 1 2}}][{{pad "" 1 2}}]', {}, '[ ab  ][]'],
    ['{{print "a" 1 2 "b"}}', {}, 'a1 2b'],
    ['{{print .Missing}}', {}, '<nil>'],
    ['{{println "a" 1}}', {}, 'a 1\n'],
    ['{{printf "%s-%d-%v-%q" "x" 5 true "y"}}', {}, 'x-5-true-"y"'],
    ['{{printf "%.2f%%" .F}}', { F: 12.345 }, '12.35%'], // 12.345 is 12.3450000000000006…
    ['{{printf "%v|%s" .Missing .Config.Entrypoint}}', image, '<nil>|%!s(<nil>)'],
    ['{{printf "%d" "x"}}', {}, '%!d(string=x)'],
    ['{{printf "%-12s|" .Os}}', image, 'linux       |'],
    ['{{slice .RepoTags 1}} {{slice "abcdef" 1 3}}', image, '[busybox:1.36] bc'],
    [
      '{{eq .Os "linux"}} {{eq .Os "a" "linux"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}',
      image,
      'true true true true true true false',
    ],
    ['{{eq .Missing .AlsoMissing}} {{eq .Missing "x"}}', {}, 'true false'],
    [
      '{{and 1 0 "x"}} {{and 1 "x"}} {{or 0 "" "z"}} {{or 0 ""}} {{not .Missing}} {{not 1}}',
      {},
      '0 x z  true false',
    ],
    ['{{and .Missing .Boom.Boom}}', {}, '<no value>'], // short-circuit: the second operand is never evaluated
  ])('%s', (tmpl, data, want) => {
    expect(run(tmpl, data)).toBe(want);
  });
});

describe('control structures', () => {
  test.each([
    ['{{range .RepoTags}}<{{.}}>{{end}}', image, '<busybox:latest><busybox:1.36>'],
    ['{{range $i, $t := .RepoTags}}{{$i}}={{$t}};{{end}}', image, '0=busybox:latest;1=busybox:1.36;'],
    ['{{range $t := .RepoTags}}{{$t}} {{end}}', image, 'busybox:latest busybox:1.36 '],
    ['{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}', image, 'a.b=c & d,maintainer=me,'],
    ['{{range .Config.Labels}}{{.}};{{end}}', image, 'c & d;me;'],
    ['{{range .None}}x{{else}}empty{{end}}', {}, 'empty'],
    ['{{range .E}}x{{else}}empty{{end}}', { E: [] }, 'empty'],
    ['{{range .M}}x{{else}}empty{{end}}', { M: {} }, 'empty'],
    ['{{range 3}}{{.}}{{end}}', {}, '012'],
    [
      '{{range .N}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}',
      { N: [1, 2, 3, 4, 5] },
      '13',
    ],
    ['{{range .N}}{{$.Os}}{{end}}', { N: [1, 2], Os: 'x' }, 'xx'],
    ['{{if .Os}}yes{{end}}', image, 'yes'],
    ['{{if .Missing}}yes{{else}}no{{end}}', image, 'no'],
    ['{{if eq .Os "windows"}}w{{else if eq .Os "linux"}}l{{else}}?{{end}}', image, 'l'],
    ['{{if .E}}a{{else if .Z}}b{{else}}c{{end}}', { E: '', Z: 0 }, 'c'],
    ['{{with .Config}}{{.Cmd}}{{end}}', image, '[sh]'],
    ['{{with .Missing}}x{{else}}none{{end}}', image, 'none'],
    ['{{with .A}}a{{else with .B}}{{.}}{{end}}', { B: 'b' }, 'b'],
    ['{{$x := .Os}}{{$x}}-{{$x = "y"}}{{$x}}', image, 'linux-y'],
    ['{{$}}', 'root', 'root'],
    ['{{(index .RepoTags 0)}} {{(.Config).Cmd}}', image, 'busybox:latest [sh]'],
    ['{{"a" | printf "%s-%s" "b"}}', {}, 'b-a'],
    ['{{.Os | upper | printf "[%s]"}}', image, '[LINUX]'],
    ['{{/* a comment */}}x', {}, 'x'],
    ['a  {{- /* trimmed */ -}}  b', {}, 'ab'],
    ['a \n {{- .Os -}} \n b', image, 'alinuxb'],
    ['{{- .Os}} {{.Os -}}\n', image, 'linux linux'],
    ['{{.Os}}\n{{- .Os}}', image, 'linuxlinux'],
    ['{{-3}}', {}, '-3'], // not a trim marker without the space
    ['{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}', {}, '2'],
    ['{{range $i, $e := .N}}{{$i}}{{end}}{{with $z := .N}}{{len $z}}{{end}}', { N: ['a', 'b'] }, '012'],
    ['{{range .N}}{{range .}}{{.}}{{end}};{{end}}', { N: [[1, 2], [], [3]] }, '12;;3;'],
    ['{{.U}}|{{index . "U"}}', { U: undefined, S: 's' }, '<no value>|'],
  ])('%s', (tmpl, data, want) => {
    expect(run(tmpl, data)).toBe(want);
  });
});

describe('parse errors', () => {
  test.each([
    ['{{.Foo', 'template: :1: unclosed action'],
    ['{{.Foo}', "template: :1: bad character U+007D '}'"],
    ['{{foo}}', 'template: :1: function "foo" not defined'],
    ['{{end}}', 'template: :1: unexpected {{end}}'],
    ['{{else}}', 'template: :1: unexpected {{else}}'],
    ['{{if .X}}', 'template: :1: unexpected EOF'],
    ['{{range .X}}{{else}}{{else}}{{end}}', 'template: :1: expected end; found {{else}}'],
    ['{{$x}}', 'template: :1: undefined variable "$x"'],
    ['{{.X | "a"}}', 'template: :1: non executable command in pipeline stage 2'],
    ['{{}}', 'template: :1: missing value for command'],
    ['{{if}}{{end}}', 'template: :1: missing value for if'],
    ['{{break}}', 'template: :1: {{break}} outside {{range}}'],
    ['{{/* x */ .X}}', 'template: :1: comment ends before closing delimiter'],
    ['{{/* x', 'template: :1: unclosed comment'],
    ['{{"abc}}', 'template: :1: unterminated quoted string'],
    ['{{(.X}}', 'template: :1: unclosed left paren'],
    ['{{.X)}}', 'template: :1: unexpected right paren'],
    ['{{3x}}', 'template: :1: bad number syntax: "3x"'],
    ['{{"a".X}}', 'template: :1: unexpected . after term "\\"a\\""'],
    ['{{range $a, $b, $c := .X}}{{end}}', 'template: :1: too many declarations in range'],
    ['{{define "x"}}{{end}}', 'template: :1: {{define}} is not supported in a format template'],
    ['{{"\\q"}}', 'template: :1: invalid syntax'],
    ['a\nb\n{{foo}}', 'template: :3: function "foo" not defined'],
    ['{{.X\n.Y', 'template: :2: unclosed action started at :1'],
    ['{{if true}}{{$x := 1}}{{end}}{{$x}}', 'template: :1: undefined variable "$x"'],
    ['{{range $i, $e := .N}}{{end}}{{$e}}', 'template: :1: undefined variable "$e"'],
  ])('%j', (tmpl, want) => {
    expect(usageError(() => parseTemplate(tmpl))).toBe(want);
  });
});

describe('execution errors', () => {
  const historyRow = { ID: '123456789012', CreatedBy: 'rose' };
  const asHistory: ExecuteOptions = { structType: '*image.historyContext' };

  test.each([
    [
      '{{.Foo}}',
      historyRow,
      asHistory,
      'template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *image.historyContext',
    ],
    [
      '{{.ID.Foo}}',
      historyRow,
      asHistory,
      'template: :1:5: executing "" at <.ID.Foo>: can\'t evaluate field Foo in type string',
    ],
    [
      'x\n{{.Foo}}',
      historyRow,
      asHistory,
      'template: :2:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *image.historyContext',
    ],
    [
      'é {{.Foo}}',
      historyRow,
      asHistory,
      'template: :1:5: executing "" at <.Foo>: can\'t evaluate field Foo in type *image.historyContext',
    ],
    [
      '{{.Os.Foo}}',
      image,
      {},
      'template: :1:5: executing "" at <.Os.Foo>: can\'t evaluate field Foo in type interface {}',
    ],
    [
      '{{.Config.Entrypoint.X}}',
      image,
      {},
      'template: :1:9: executing "" at <.Config.Entrypoint.X>: nil pointer evaluating interface {}.X',
    ],
    [
      '{{range .RepoTags}}{{.X}}{{end}}',
      image,
      {},
      'template: :1:21: executing "" at <.X>: can\'t evaluate field X in type interface {}',
    ],
    [
      '{{.Missing}}',
      image,
      { missingKey: 'error' } as ExecuteOptions,
      'template: :1:2: executing "" at <.Missing>: map has no entry for key "Missing"',
    ],
    ['{{.Os "a"}}', image, {}, 'template: :1:2: executing "" at <.Os>: Os is not a method but has arguments'],
    [
      '{{index .RepoTags 5}}',
      image,
      {},
      'template: :1:2: executing "" at <index .RepoTags 5>: error calling index: index out of range: 5',
    ],
    [
      '{{index .RepoTags 2}}',
      image,
      {},
      'template: :1:2: executing "" at <index .RepoTags 2>: error calling index: reflect: slice index out of range',
    ],
    [
      '{{index .RepoTags "a"}}',
      image,
      {},
      'template: :1:2: executing "" at <index .RepoTags "a">: error calling index: cannot index slice/array with type string',
    ],
    [
      '{{index .Os 0 1}}',
      image,
      {},
      'template: :1:2: executing "" at <index .Os 0 1>: error calling index: can\'t index item of type int',
    ],
    ['{{len 3}}', {}, {}, 'template: :1:2: executing "" at <len 3>: error calling len: len of type int'],
    ['{{upper 3}}', {}, {}, 'template: :1:8: executing "" at <3>: expected string; found 3'],
    [
      '{{upper .Size}}',
      image,
      {},
      'template: :1:8: executing "" at <.Size>: wrong type for value; expected string; got int',
    ],
    [
      '{{join .RepoTags}}',
      image,
      {},
      'template: :1:2: executing "" at <join>: wrong number of args for join: want 2 got 1',
    ],
    [
      '{{join .Os ","}}',
      image,
      {},
      'template: :1:2: executing "" at <join .Os ",">: error calling join: expected slice, got string',
    ],
    [
      '{{eq .RepoTags .RepoTags}}',
      image,
      {},
      'template: :1:2: executing "" at <eq .RepoTags .RepoTags>: error calling eq: non-comparable type [busybox:latest busybox:1.36]: []interface {}',
    ],
    [
      '{{eq .Os 1}}',
      image,
      {},
      'template: :1:2: executing "" at <eq .Os 1>: error calling eq: incompatible types for comparison: string and int',
    ],
    [
      '{{lt true false}}',
      {},
      {},
      'template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison',
    ],
    [
      '{{range .Os}}{{end}}',
      image,
      {},
      'template: :1:8: executing "" at <.Os>: range can\'t iterate over linux',
    ],
    [
      '{{json .F}}',
      { F: Number.NaN },
      {},
      'template: :1:2: executing "" at <json .F>: error calling json: json: unsupported value: NaN',
    ],
    ['{{nil}}', {}, {}, 'template: :1:2: executing "" at <nil>: nil is not a command'],
    ['{{. 1}}', {}, {}, 'template: :1:2: executing "" at <.>: can\'t give argument to non-function .'],
  ])('%j', (tmpl, data, opts, want) => {
    expect(usageError(() => run(tmpl, data, opts))).toBe(want);
  });
});

describe('Docker format strings', () => {
  test('isTableFormat is a prefix test, as in the Docker CLI', () => {
    expect(isTableFormat('table {{.ID}}')).toBe(true);
    expect(isTableFormat('table')).toBe(true);
    expect(isTableFormat('tablefoo')).toBe(true);
    expect(isTableFormat('{{.ID}}')).toBe(false);
    expect(isTableFormat('json')).toBe(false);
  });

  test('stripTable: prefix, spaces, \\t and \\n escapes, json and bare table', () => {
    expect(stripTable('table {{.ID}}\\t{{.Size}}')).toBe('{{.ID}}\t{{.Size}}');
    expect(stripTable('  {{.ID}}\\n  ')).toBe('{{.ID}}\n');
    expect(stripTable('table\t{{.ID}}')).toBe('\t{{.ID}}'); // only spaces are trimmed
    expect(stripTable('{{.A}}\\\\t')).toBe('{{.A}}\\\t');
    expect(stripTable('json')).toBe('{{json .}}');
    expect(stripTable('table')).toBe('');
    expect(stripTable('{{json .}}')).toBe('{{json .}}');
  });
});

describe('renderTableOrLines', () => {
  const HEADERS = {
    ID: 'IMAGE',
    CreatedSince: 'CREATED',
    CreatedAt: 'CREATED AT',
    CreatedBy: 'CREATED BY',
    Size: 'SIZE',
    Comment: 'COMMENT',
  };
  const DEFAULT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
  const row = (o: Partial<Record<keyof typeof HEADERS, string>>) => ({
    Comment: '',
    CreatedAt: '',
    CreatedBy: '',
    CreatedSince: '',
    ID: '',
    Size: '',
    ...o,
  });

  test('docker history golden (history-command-success.simple.golden)', () => {
    const rows = [
      row({ ID: '123456789012', CreatedSince: 'Less than a second ago', Size: '0B', Comment: 'none' }),
    ];
    expect(renderTableOrLines({ format: DEFAULT, rows, headers: HEADERS })).toBe(
      'IMAGE          CREATED                  CREATED BY   SIZE      COMMENT\n' +
        '123456789012   Less than a second ago                0B        none\n',
    );
  });

  test('the escaped form of the format gives the same table', () => {
    const rows = [
      row({
        ID: 'abcdef',
        CreatedAt: '2017-01-01T12:00:03Z',
        CreatedBy: 'rose',
        Size: '0',
        Comment: 'new history item!',
      }),
    ];
    expect(
      renderTableOrLines({
        format: 'table {{.ID}}\\t{{.CreatedAt}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}',
        rows,
        headers: HEADERS,
      }),
    ).toBe(
      'IMAGE     CREATED AT             CREATED BY   SIZE      COMMENT\n' +
        'abcdef    2017-01-01T12:00:03Z   rose         0         new history item!\n',
    );
  });

  test("the Docker CLI's truncated history table (formatter_history_test.go)", () => {
    const long =
      '/bin/bash ls && npm i && npm run test && karma -c karma.conf.js start && npm start && more commands here && the list goes on';
    const size = humanSizeWithPrecision(182_964_289, 3);
    const rows = [
      row({
        ID: 'imageID1',
        CreatedSince: '24 hours ago',
        CreatedBy: ellipsis(long, 45),
        Size: size,
        Comment: 'Hi',
      }),
      row({
        ID: 'imageID2',
        CreatedSince: '24 hours ago',
        CreatedBy: '/bin/bash echo',
        Size: size,
        Comment: 'Hi',
      }),
      row({ ID: 'imageID5', CreatedSince: '', CreatedBy: '/bin/bash echo', Size: size, Comment: 'Hi' }),
      row({
        ID: 'imageID6',
        CreatedSince: '17 years ago',
        CreatedBy: '/bin/bash echo',
        Size: size,
        Comment: 'Hi',
      }),
    ];
    expect(renderTableOrLines({ format: DEFAULT, rows, headers: HEADERS })).toBe(
      'IMAGE      CREATED        CREATED BY                                      SIZE      COMMENT\n' +
        'imageID1   24 hours ago   /bin/bash ls && npm i && npm run test && kar…   183MB     Hi\n' +
        'imageID2   24 hours ago   /bin/bash echo                                  183MB     Hi\n' +
        'imageID5                  /bin/bash echo                                  183MB     Hi\n' +
        'imageID6   17 years ago   /bin/bash echo                                  183MB     Hi\n',
    );
  });

  test('a full-width CREATED BY column and empty comments end rows in padding', () => {
    const rows = [
      row({
        ID: '123456789012',
        CreatedSince: 'Less than a second ago',
        CreatedBy: ellipsis('RUN /bin/sh -c apk add --no-cache ca-certificates curl # buildkit', 45),
        Size: '1.98MB',
        Comment: 'buildkit.dockerfile.v0',
      }),
      row({ ID: '<missing>', CreatedSince: '2 weeks ago', CreatedBy: 'CMD ["sh"]', Size: '0B' }),
    ];
    expect(renderTableOrLines({ format: DEFAULT, rows, headers: HEADERS })).toBe(
      'IMAGE          CREATED                  CREATED BY                                      SIZE      COMMENT\n' +
        '123456789012   Less than a second ago   RUN /bin/sh -c apk add --no-cache ca-certifi…   1.98MB    buildkit.dockerfile.v0\n' +
        '<missing>      2 weeks ago              CMD ["sh"]                                      0B        \n',
    );
  });

  test('no rows: the header alone', () => {
    expect(renderTableOrLines({ format: DEFAULT, rows: [], headers: HEADERS })).toBe(
      'IMAGE     CREATED   CREATED BY   SIZE      COMMENT\n',
    );
  });

  test('plain templates: one line per row, no header', () => {
    const rows = [row({ ID: 'a', Size: '1B' }), row({ ID: '<missing>', Size: '0B' })];
    expect(renderTableOrLines({ format: '{{.ID}}: {{.Size}}', rows, headers: HEADERS })).toBe(
      'a: 1B\n<missing>: 0B\n',
    );
    expect(renderTableOrLines({ format: '{{.ID}}\\t{{.Size}}', rows, headers: HEADERS })).toBe(
      'a\t1B\n<missing>\t0B\n',
    );
    expect(renderTableOrLines({ format: '{{.ID}}', rows: [], headers: HEADERS })).toBe('');
  });

  test('json: one compact object per row, keys in row order', () => {
    const rows = [row({ ID: 'a', CreatedBy: 'x && y', Size: '0B' })];
    expect(renderTableOrLines({ format: 'json', rows, headers: HEADERS })).toBe(
      '{"Comment":"","CreatedAt":"","CreatedBy":"x && y","CreatedSince":"","ID":"a","Size":"0B"}\n',
    );
  });

  test('header functions pass column names through; other functions still run', () => {
    const rows = [row({ ID: 'abc', Comment: 'hi' })];
    expect(
      renderTableOrLines({
        format: 'table {{json .ID}}\t{{upper .Comment}}\t{{printf "%.3s" .Size}}',
        rows,
        headers: HEADERS,
      }),
    ).toBe('IMAGE     COMMENT   SIZ\n"abc"     HI        \n');
  });

  test('pad is not a header function: headers stay aligned with padded cells', () => {
    const rows = [row({ ID: 'abc' })];
    expect(renderTableOrLines({ format: 'table {{pad .ID 1 1}}|', rows, headers: HEADERS })).toBe(
      ' IMAGE |\n abc |\n',
    );
  });

  test('a header missing from the header map prints <no value>; header errors keep what came before', () => {
    const rows = [row({ ID: 'abc' })];
    expect(
      renderTableOrLines({ format: 'table {{.ID}}\t{{.Comment}}', rows, headers: { ID: 'IMAGE' } }),
    ).toBe('IMAGE     <no value>\nabc       \n');
    // The header's json takes a string, so it fails on the header map after "IMAGE\t" was written.
    expect(
      renderTableOrLines({ format: 'table {{.ID}}\t{{json .}}|x', rows: [{ ID: 'abc' }], headers: HEADERS }),
    ).toBe('IMAGE     \nabc       {"ID":"abc"}|x\n');
  });

  test('an unknown field fails the whole render', () => {
    const rows = [row({ ID: 'abc' })];
    expect(
      usageError(() =>
        renderTableOrLines({
          format: 'table {{.ID}}\t{{.Nope}}',
          rows,
          headers: HEADERS,
          rowType: '*image.historyContext',
        }),
      ),
    ).toBe(
      'template: :1:10: executing "" at <.Nope>: can\'t evaluate field Nope in type *image.historyContext',
    );
    expect(usageError(() => renderTableOrLines({ format: '{{.Nope}}', rows, headers: HEADERS }))).toBe(
      'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type row',
    );
  });
});
