#!/usr/bin/env python3
"""Checks the Flatpak manifest without building it (that needs the network).

Usage: flatpak-manifest.py SOURCE_ROOT [MANIFEST]
       flatpak-manifest.py --self-test

MANIFEST defaults to SOURCE_ROOT/flatpak/APP_ID.json, APP_ID being the app_id of
meson.build. Prints TAP: the manifest's keys, the app id against meson.build, the
command against the desktop file and metainfo, that every module's remote sources
are pinned (sha256 or commit), and that the mediastore module is the last one, is
built from the source tree, and passes only -D options that meson_options.txt
declares, with values of the declared type.
"""

import json
import os
import re
import sys

# Meson's own options that a config-opts entry may set, with what each accepts
# (None: any string). Only the ones a packager is likely to pass.
BUILTIN_OPTIONS = {
    'buildtype': ('combo', ['plain', 'debug', 'debugoptimized', 'release', 'minsize', 'custom']),
    'optimization': ('combo', ['plain', '0', 'g', '1', '2', '3', 's']),
    'debug': ('boolean', None),
    'werror': ('boolean', None),
    'warning_level': ('combo', ['0', '1', '2', '3', 'everything']),
    'default_library': ('combo', ['shared', 'static', 'both']),
    'b_lto': ('boolean', None),
    'b_ndebug': ('combo', ['true', 'false', 'if-release']),
    'b_sanitize': ('string', None),
    'prefix': ('string', None),
    'libdir': ('string', None),
    'datadir': ('string', None),
}

REMOTE_SOURCES = {'archive', 'file', 'git', 'bzr', 'svn', 'extra-data'}
LOCAL_SOURCES = {'script', 'shell', 'patch', 'inline'}

SHA256 = re.compile(r'^[0-9a-f]{64}$')
GIT_COMMIT = re.compile(r'^[0-9a-f]{40}$')


# meson_options.txt

_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>'''.*?'''|'(?:[^'\\\n]|\\.)*')
  | (?P<number>-?\d+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[()\[\],:])
""", re.VERBOSE | re.DOTALL)


def _tokens(text):
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError('cannot read meson options at “%s”' % text[pos:pos + 20])
        pos = m.end()
        kind = m.lastgroup
        if kind == 'space':
            continue
        value = m.group(kind)
        if kind == 'string':
            if value.startswith("'''"):
                value = value[3:-3]
            else:
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
        elif kind == 'number':
            value = int(value)
        elif kind == 'ident' and value in ('true', 'false'):
            kind, value = 'bool', value == 'true'
        yield kind, value


def _value(toks, i):
    kind, value = toks[i]
    if (kind, value) == ('punct', '['):
        items = []
        i += 1
        while toks[i] != ('punct', ']'):
            item, i = _value(toks, i)
            items.append(item)
            if toks[i] == ('punct', ','):
                i += 1
        return items, i + 1
    if kind in ('string', 'number', 'bool'):
        return value, i + 1
    raise ValueError('unexpected “%s” in meson options' % (value,))


def parse_meson_options(text):
    """{name: {'type': ..., 'value': ..., 'choices': ..., 'min': ..., 'max': ...}}"""
    toks = list(_tokens(text))
    options = {}
    i = 0
    while i < len(toks):
        if toks[i] != ('ident', 'option') or toks[i + 1] != ('punct', '('):
            raise ValueError('expected option(...) in meson options, not “%s”' % (toks[i][1],))
        i += 2
        name, i = _value(toks, i)
        kwargs = {}
        while toks[i] != ('punct', ')'):
            if toks[i] == ('punct', ','):
                i += 1
                continue
            key = toks[i][1]
            if toks[i + 1] != ('punct', ':'):
                raise ValueError('expected “:” after “%s” in option %s' % (key, name))
            kwargs[key], i = _value(toks, i + 2)
        options[name] = kwargs
        i += 1
    return options


def check_option_value(kind, choices, value, minimum=None, maximum=None):
    """None if VALUE (a string, as on a command line) fits, else why not."""
    if kind == 'boolean':
        return None if value in ('true', 'false') else 'not true or false'
    if kind == 'feature':
        return None if value in ('enabled', 'disabled', 'auto') else 'not enabled, disabled or auto'
    if kind == 'combo':
        return None if value in choices else 'not one of %s' % ', '.join(choices)
    if kind == 'integer':
        if not re.fullmatch(r'-?\d+', value):
            return 'not an integer'
        if minimum is not None and int(value) < minimum:
            return 'below %d' % minimum
        if maximum is not None and int(value) > maximum:
            return 'above %d' % maximum
        return None
    if kind == 'array':
        if choices:
            bad = [v for v in value.split(',') if v and v not in choices]
            return 'not in %s: %s' % (', '.join(choices), ', '.join(bad)) if bad else None
        return None
    if kind == 'string':
        return None
    return 'unknown option type %s' % kind


def check_config_opt(opt, options):
    """None if the config-opts entry OPT sets a declared option right, else why not."""
    m = re.fullmatch(r'-D([A-Za-z0-9_.:-]+)=(.*)', opt) or re.fullmatch(r'--([a-z_]+)=(.*)', opt)
    if not m:
        return '“%s” is not -Dname=value' % opt
    name, value = m.groups()
    if name in options:
        o = options[name]
        why = check_option_value(o.get('type'), o.get('choices'), value,
                                 o.get('min'), o.get('max'))
    elif name in BUILTIN_OPTIONS:
        kind, choices = BUILTIN_OPTIONS[name]
        why = check_option_value(kind, choices, value)
    else:
        return '“%s” is not an option of meson_options.txt' % name
    return '%s=%s: %s' % (name, value, why) if why else None


# the manifest

def load_modules(modules, base_dir, problems):
    """Flattens MODULES, reading the ones given as file names relative to BASE_DIR."""
    flat = []
    for module in modules:
        if isinstance(module, str):
            path = os.path.join(base_dir, module)
            try:
                with open(path, encoding='utf-8') as f:
                    module = json.load(f)
            except (OSError, ValueError) as e:
                problems.append('module file %s: %s' % (module, e))
                continue
            sub_dir = os.path.dirname(path)
        else:
            sub_dir = base_dir
        flat.extend(load_modules(module.get('modules', []), sub_dir, problems))
        flat.append(module)
    return flat


def check_source_pinned(source):
    """None if SOURCE is pinned or local, else why not."""
    kind = source.get('type')
    if kind in ('archive', 'file'):
        if not source.get('url', '').startswith('https://'):
            return '%s source without an https url' % kind
        if not SHA256.match(source.get('sha256', '')):
            return '%s %s has no sha256' % (kind, source.get('url'))
        return None
    if kind == 'git':
        if not GIT_COMMIT.match(source.get('commit', '')):
            return 'git %s has no commit' % source.get('url')
        return None
    if kind in REMOTE_SOURCES:
        return '%s sources are not accepted here: use an archive with a sha256 or git with a commit' % kind
    if kind in LOCAL_SOURCES:
        return None
    return 'source of type %s' % kind


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, why=()):
        self.n += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, what))
        if not ok:
            self.failed += 1
            for line in ([why] if isinstance(why, str) else why):
                print('# ' + line)

    def done(self):
        print('1..%d' % self.n)
        return 1 if self.failed else 0


def read_app_id(root):
    with open(os.path.join(root, 'meson.build'), encoding='utf-8') as f:
        m = re.search(r"^app_id\s*=\s*'([^']+)'", f.read(), re.M)
    return m.group(1) if m else None


def desktop_exec(root, app_id):
    path = os.path.join(root, 'data', app_id + '.desktop.in')
    with open(path, encoding='utf-8') as f:
        m = re.search(r'^Exec=(\S+)', f.read(), re.M)
    return m.group(1) if m else None


def metainfo_binaries(root, app_id):
    path = os.path.join(root, 'data', app_id + '.metainfo.xml.in')
    with open(path, encoding='utf-8') as f:
        return re.findall(r'<binary>\s*([^<\s]+)\s*</binary>', f.read())


def read_meson_options(root):
    for name in ('meson.options', 'meson_options.txt'):
        path = os.path.join(root, name)
        if os.path.exists(path):
            with open(path, encoding='utf-8') as f:
                return parse_meson_options(f.read())
    return {}


def check_manifest(root, manifest_path, tap):
    app_id = read_app_id(root)
    try:
        with open(manifest_path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        tap.check(False, 'the manifest is JSON', str(e))
        return
    tap.check(isinstance(manifest, dict), 'the manifest is a JSON object')
    if not isinstance(manifest, dict):
        return

    ids = [manifest[k] for k in ('id', 'app-id') if k in manifest]
    stem = os.path.basename(manifest_path)[:-len('.json')]
    tap.check(ids == [app_id] and stem == app_id,
              'the app id is %s, as in meson.build and the file name' % app_id,
              'id/app-id: %s, file: %s' % (ids, stem))

    command = manifest.get('command')
    exec_ = desktop_exec(root, app_id)
    binaries = metainfo_binaries(root, app_id)
    tap.check(bool(command) and command == exec_ and command in binaries,
              'the command is the one the desktop file runs and the metainfo provides',
              'command: %s, Exec: %s, <binary>: %s' % (command, exec_, binaries))

    runtime, sdk = manifest.get('runtime', ''), manifest.get('sdk', '')
    tap.check(bool(runtime) and bool(manifest.get('runtime-version'))
              and sdk == runtime.replace('.Platform', '.Sdk'),
              'the runtime, its version and the matching SDK are set',
              'runtime: %s %s, sdk: %s' % (runtime, manifest.get('runtime-version'), sdk))

    finish_args = manifest.get('finish-args', [])
    bad_args = [a for a in finish_args if not isinstance(a, str) or not a.startswith('--')]
    # The sandbox always reaches the portals; Flathub's linter rejects asking for them.
    portal_args = [a for a in finish_args if str(a).startswith('--talk-name=org.freedesktop.portal.')]
    tap.check(bool(finish_args) and not bad_args and not portal_args,
              'finish-args are options and ask for no portal bus names',
              ['not an option: %s' % a for a in bad_args] + ['portal name: %s' % a for a in portal_args])

    problems = []
    modules = load_modules(manifest.get('modules', []), os.path.dirname(manifest_path), problems)
    tap.check(bool(modules) and not problems, 'every module file can be read', problems)
    if not modules:
        return

    unpinned = []
    for module in modules:
        name = module.get('name', '?')
        sources = module.get('sources', [])
        if not any(s.get('type') in REMOTE_SOURCES | {'dir'} for s in sources):
            unpinned.append('%s: no source to build from' % name)
        for source in sources:
            if source.get('type') == 'dir' and module is not modules[-1]:
                unpinned.append('%s: only the last module builds from a local dir' % name)
            elif source.get('type') != 'dir':
                why = check_source_pinned(source)
                if why:
                    unpinned.append('%s: %s' % (name, why))
    tap.check(not unpinned, 'every module source is pinned by sha256 or commit', unpinned)

    last = modules[-1]
    dirs = [s for s in last.get('sources', []) if s.get('type') == 'dir']
    tree = os.path.normpath(os.path.join(os.path.dirname(manifest_path), dirs[0].get('path', ''))) \
        if len(dirs) == 1 else None
    tap.check(last.get('name') == 'mediastore' and last.get('buildsystem') == 'meson'
              and tree == os.path.normpath(root),
              'the last module is mediastore, built with meson from this source tree',
              'name: %s, buildsystem: %s, dir: %s' % (last.get('name'), last.get('buildsystem'), tree))

    options = read_meson_options(root)
    wrong = [why for why in (check_config_opt(o, options) for o in last.get('config-opts', [])) if why]
    tap.check(not wrong, 'the mediastore config-opts are options of meson_options.txt with valid values',
              wrong)


def self_test(tap):
    """The checks above must also say no: each case here is one they must catch."""
    options = parse_meson_options("""
# a comment
option('tests', type: 'boolean', value: true,
  description: 'Build the test programs')
option('flavour', type : 'combo', choices : ['a', 'b'], value : 'a')
option('level', type: 'integer', min: 1, max: 3, value: 2, description: '''it's
multi-line''')
option('camera', type: 'feature', value: 'auto')
""")
    tap.check(sorted(options) == ['camera', 'flavour', 'level', 'tests']
              and options['flavour']['choices'] == ['a', 'b']
              and options['level']['max'] == 3,
              'self-test: meson options are parsed', repr(options))
    cases = [
        ('-Dtests=false', True),
        ('-Dtests=no', False),
        ('-Dtest=false', False),
        ('-Dflavour=b', True),
        ('-Dflavour=c', False),
        ('-Dlevel=3', True),
        ('-Dlevel=4', False),
        ('-Dcamera=disabled', True),
        ('-Dcamera=off', False),
        ('-Dbuildtype=release', True),
        ('-Dbuildtype=fast', False),
        ('tests=false', False),
    ]
    wrong = ['%s: expected %s' % (opt, 'ok' if ok else 'an error')
             for opt, ok in cases if (check_config_opt(opt, options) is None) != ok]
    tap.check(not wrong, 'self-test: config-opts are accepted and refused as they should', wrong)

    sources = [
        ({'type': 'archive', 'url': 'https://example.org/a.tar.xz', 'sha256': 'ab' * 32}, True),
        ({'type': 'archive', 'url': 'https://example.org/a.tar.xz'}, False),
        ({'type': 'archive', 'url': 'http://example.org/a.tar.xz', 'sha256': 'ab' * 32}, False),
        ({'type': 'git', 'url': 'https://example.org/a.git', 'tag': 'v1'}, False),
        ({'type': 'git', 'url': 'https://example.org/a.git', 'commit': 'c' * 40}, True),
        ({'type': 'script', 'commands': ['true']}, True),
        ({'type': 'bzr', 'url': 'https://example.org/a'}, False),
    ]
    wrong = ['%s: expected %s' % (s, 'ok' if ok else 'an error')
             for s, ok in sources if (check_source_pinned(s) is None) != ok]
    tap.check(not wrong, 'self-test: unpinned sources are caught', wrong)


def main(argv):
    tap = Tap()
    if argv[1:] == ['--self-test']:
        self_test(tap)
        return tap.done()
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = os.path.abspath(argv[1])
    manifest = os.path.abspath(argv[2]) if len(argv) == 3 else \
        os.path.join(root, 'flatpak', read_app_id(root) + '.json')
    check_manifest(root, manifest, tap)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
