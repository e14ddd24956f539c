"""Emulates the serde shapes of src/sim/scenario/ (deny_unknown_fields) on the Scenario documents."""
import sys, yaml, glob, re
DUR = re.compile(r'^(\d+(\.\d+)?(ms|s|m|h))+$')
def keys(d, allowed, where, required=()):
    assert isinstance(d, dict), where
    extra = set(d) - set(allowed)
    assert not extra, f"{where}: unknown fields {extra}"
    for r in required: assert r in d, f"{where}: missing {r}"
def objref(r, where): keys(r, ['apiVersion','kind','namespace','name'], where, ['apiVersion','kind','name'])
def check(path):
    docs = list(yaml.safe_load_all(open(path)))
    scs = [d for d in docs if d.get('kind')=='Scenario' and d.get('apiVersion')=='sim.backstop.dev/v1']
    assert len(scs)<=1
    for d in docs:
        if d in scs: continue
        assert d.get('apiVersion') and d.get('kind') and d.get('metadata',{}).get('name'), path
    if not scs: return
    sc = scs[0]
    keys(sc, ['apiVersion','kind','metadata','spec'], 'doc')
    sp = sc['spec']
    keys(sp, ['description','base','expect','remove','clock','logs','timeline','faults','archivers','objectStore'], 'spec')
    for a in sp.get('archivers',[]):
        keys(a, ['cluster','readyWalFiles','readyWalFilesPerHour','lastArchivedWAL','lastArchivedWALTime','lastFailedWAL','lastFailedWALTime','walVolume','unreachable'], 'archivers', ['cluster'])
    for r in sp.get('remove',[]): objref(r, 'remove')
    keys(sp['clock'], ['anchor'], 'clock', ['anchor'])
    for l in sp.get('logs',[]):
        keys(l, ['pod','container','lines','previous','generate'], 'logs', ['pod','container'])
        assert all(isinstance(x,str) for x in l.get('lines',[])+l.get('previous',[]))
        if 'generate' in l: keys(l['generate'], ['perSecond','lines'], 'generate', ['perSecond','lines'])
    for i,e in enumerate(sp.get('timeline',[])):
        keys(e, ['at','every','steps'], f'timeline[{i}]', ['at'])
        assert DUR.match(e['at']) and (('every' not in e) or DUR.match(e['every'])), e['at']
        for j,st in enumerate(e['steps']):
            w=f'timeline[{i}].steps[{j}]'
            keys(st, ['after','apply','patch','delete','restart','event'], w)
            acts=[k for k in st if k!='after']; assert len(acts)==1, w
            if 'after' in st: assert DUR.match(st['after']), st['after']
            if 'patch' in st: keys(st['patch'], ['ref','merge'], w, ['ref','merge']); objref(st['patch']['ref'], w)
            if 'delete' in st: objref(st['delete'], w)
            if 'restart' in st: keys(st['restart'], ['pod','container','reason','then'], w, ['pod','container'])
            if 'event' in st:
                keys(st['event'], ['involved','type','reason','message','source'], w, ['involved','reason','message']); objref(st['event']['involved'], w)
            if 'apply' in st:
                a=st['apply']; assert a.get('apiVersion') and a.get('kind') and a['metadata'].get('name'), w
for p in sorted(glob.glob(sys.argv[1] + '/*.yaml')):
    check(p); print('schema ok', p)
