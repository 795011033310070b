"""tsplay's controller-side bridge to ansible-core (runs on the controller only, never on a target).

  resolve  stdin: {"names": [...], "library": [dirs], "collections": [names]}
           stdout: {"ok": true, "version": "2.14.x", "modules": {name: {...}}}
  serve    one JSON request per stdin line, one JSON answer per stdout line:
           {"id": n, "module": fqcn, "path": file, "args": {...}, "module_utils": [dirs]} ->
           {"id": n, "payload": base64, "style": "new"} or {"id": n, "error": "..."}

Resolution uses ansible's own plugin loader (library dirs, collections, ansible.builtin routing); payloads
are built by ansible's module_common.modify_module (AnsiballZ), as ansible-playbook builds them.
"""
import base64
import json
import os
import sys


def _setup(library):
    from ansible.plugins import loader
    # collections: ANSIBLE_COLLECTIONS_PATH(S), ansible.cfg, ~/.ansible/collections, /usr/share/ansible/collections, sys.path
    loader._configure_collection_loader()
    for d in library or []:
        if os.path.isdir(d):
            loader.module_loader.add_directory(d)
        # the role's (playbook's) action_plugins/ beside its library/: to say a name is an action plugin
        actions = os.path.join(os.path.dirname(d), 'action_plugins')
        if os.path.isdir(actions):
            loader.action_loader.add_directory(actions)
    return loader


def _searched(loader, library):
    from ansible import constants as C
    from ansible.utils.collection_loader import AnsibleCollectionConfig
    paths = list(library or []) + list(C.DEFAULT_MODULE_PATH or [])
    colls = list(AnsibleCollectionConfig.collection_paths or [])
    return {'library': paths, 'collections': colls}


def resolve(req):
    loader = _setup(req.get('library'))
    colls = req.get('collections') or None
    out = {}
    for name in req.get('names', []):
        ctx = loader.module_loader.find_plugin_with_context(name, collection_list=colls)
        if not ctx.resolved:
            actx = loader.action_loader.find_plugin_with_context(name, collection_list=colls)
            out[name] = {'found': False, 'action': (actx.resolved_fqcn or name) if actx.resolved else None}
            continue
        fqcn = ctx.resolved_fqcn or name
        path = ctx.plugin_resolved_path
        action = None
        actx = loader.action_loader.find_plugin_with_context(fqcn, collection_list=colls)
        if actx.resolved:
            action = actx.resolved_fqcn or fqcn
        supports_python = bool(path and (path.endswith('.py') or _is_python(path)))
        out[name] = {'found': True, 'fqcn': fqcn, 'path': path, 'action': action, 'python': supports_python}
    return {'ok': True, 'version': _version(), 'modules': out, 'searched': _searched(loader, req.get('library'))}


def _is_python(path):
    try:
        with open(path, 'rb') as f:
            head = f.read(4096)
    except OSError:
        return False
    return b'python' in head.split(b'\n', 1)[0] or b'AnsibleModule' in head


def _version():
    from ansible.release import __version__
    return __version__


def serve():
    from ansible.executor.module_common import modify_module
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible.plugins.loader import module_utils_loader
    templar = Templar(loader=DataLoader())
    utils_dirs = set()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            # a role's (or the playbook's) module_utils/, importable as ansible.module_utils.<name>
            for d in req.get('module_utils') or []:
                if d not in utils_dirs and os.path.isdir(d):
                    module_utils_loader.add_directory(d)
                    utils_dirs.add(d)
            task_vars = dict(req.get('vars') or {})
            # the shebang is not used (the payload is piped into the interpreter tsplay found), but modify_module needs one
            task_vars.setdefault('ansible_python_interpreter', '/usr/bin/python3')
            data, style, _shebang = modify_module(
                req['module'], req['path'], req['args'], templar, task_vars=task_vars, module_compression='ZIP_DEFLATED',
                become=bool(req.get('become')), become_user=req.get('become_user'))
            if isinstance(data, str):
                data = data.encode('utf-8')
            ans = {'id': req['id'], 'payload': base64.b64encode(data).decode('ascii'), 'style': style}
        except Exception as e:  # noqa: BLE001 - every failure is an answer, the loop goes on
            ans = {'id': req.get('id'), 'error': '%s: %s' % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(ans) + '\n')
        sys.stdout.flush()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    try:
        import ansible  # noqa: F401
    except ImportError:
        sys.stdout.write(json.dumps({'ok': False, 'error': 'ansible-core is not installed for %s' % sys.executable}) + '\n')
        return 3
    if mode == 'resolve':
        sys.stdout.write(json.dumps(resolve(json.load(sys.stdin))) + '\n')
        return 0
    if mode == 'serve':
        _setup(json.loads(sys.argv[2]) if len(sys.argv) > 2 else [])
        serve()
        return 0
    sys.stderr.write('usage: tsplay_ansible.py resolve|serve\n')
    return 2


if __name__ == '__main__':
    sys.exit(main())
