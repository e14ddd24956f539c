"""Sanity checks of the generated scenarios: merge base + incident and evaluate the findings roughly."""
import sys, yaml, datetime as dt, glob, os
A = dt.datetime(2026,11,24,6,0,0,tzinfo=dt.timezone.utc)
DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'sim', 'scenarios')
def T(s): return dt.datetime.fromisoformat(s.replace('Z','+00:00'))
def grp(av): return av.split('/')[0] if '/' in av else ''
def ident(o): return (grp(o['apiVersion']), o['kind'], o['metadata'].get('namespace',''), o['metadata']['name'])
def load(path):
    d=list(yaml.safe_load_all(open(path)))
    sc=[x for x in d if x['kind']=='Scenario'][0]; objs=[x for x in d if x['kind']!='Scenario']
    return sc, objs
def merged(name):
    sc, objs = load(os.path.join(DIR, f'{name}.yaml'))
    base = sc['spec'].get('base')
    if base:
        bsc, bobjs = load(os.path.join(DIR, f'{base}.yaml'))
        m = {ident(o): o for o in bobjs}
        for r in sc['spec'].get('remove', []):
            k=(grp(r['apiVersion']), r['kind'], r.get('namespace',''), r['name'])
            assert k in m, k
            del m[k]
        for o in objs: m[ident(o)] = o
        return sc, list(m.values())
    return sc, objs
def cond(o, t):
    for c in o.get('status',{}).get('conditions',[]) or []:
        if c['type']==t: return c
def findings(objs):
    f=set(); ev=[]
    by=lambda k: [o for o in objs if o['kind']==k]
    get=lambda k,ns,n: next((o for o in objs if o['kind']==k and o['metadata'].get('namespace','')==ns and o['metadata']['name']==n), None)
    inv=set()
    for k in by('Kustomization'):
        for e in k['status']['inventory']['entries']: inv.add(e['id'])
    # PLG
    svcs=[s for s in by('Service') if s['metadata'].get('labels',{}).get('cnpg.io/pluginName')=='barman-cloud.cloudnative-pg.io']
    for s in svcs:
        sel=s['spec']['selector']
        pods=[p for p in by('Pod') if p['metadata']['namespace']==s['metadata']['namespace'] and all(p['metadata'].get('labels',{}).get(a)==b for a,b in sel.items())]
        if not pods: f.add('PLG004'); ev.append('no plugin pods')
        for p in pods:
            for cs in p['status'].get('containerStatuses',[]):
                if not cs['ready']: f.add('PLG004'); ev.append(f"PLG004 {p['metadata']['name']} {cs['state']}")
                if cs.get('lastState',{}).get('terminated',{}).get('reason')=='OOMKilled': f.add('PLG005')
                oom=cs.get('lastState',{}).get('terminated',{}).get('reason')=='OOMKilled'
                if cs['restartCount']>=3 and not oom: f.add('PLG006')
    for c in by('Cluster'):
        ph=c['status']['phase']
        if 'unknown plugin' in ph or 'interacting with plugins' in ph: f.add('PLG008')
        for p in by('Pod'):
            if p['metadata']['namespace']==c['metadata']['namespace'] and p['metadata'].get('labels',{}).get('cnpg.io/cluster')==c['metadata']['name']:
                if not any(i['name']=='plugin-barman-cloud' and i.get('restartPolicy')=='Always' for i in p['spec'].get('initContainers',[])): f.add('PLG011')
        ver=c['status']['pluginStatus'][0]['version']
        for d in by('Deployment'):
            if d['metadata']['name']=='barman-cloud':
                tag=d['spec']['template']['spec']['containers'][0]['image'].split(':')[1].lstrip('v')
                if tag!=ver: f.add('PLG010')
    for d in by('Deployment'):
        if d['metadata'].get('labels',{}).get('app.kubernetes.io/name')=='cloudnative-pg' and not d['status'].get('readyReplicas'): f.add('PLG007')
    for cert in by('Certificate'):
        if cond(cert,'Ready')['status']!='True' or T(cert['status']['notAfter'])-A < dt.timedelta(days=14): f.add('PLG009')
    # FLX
    for k in by('Kustomization'):
        r=cond(k,'Ready')
        if r['status']!='True':
            if r['reason']=='DependencyNotReady': f.add('FLX003')
            elif r['reason']=='HealthCheckFailed': f.add('FLX004')
            elif r['reason']=='BuildFailed': f.add('FLX002')
            elif r['reason']=='ArtifactFailed': f.add('FLX005')
            else: f.add('FLX001')
        if k['spec'].get('suspend'): f.add('FLX006')
        st=cond(k,'Stalled'); rc=cond(k,'Reconciling')
        if (st and st['status']=='True') or (rc and rc['status']=='True' and r['status']!='False' and A-T(rc['lastTransitionTime'])>dt.timedelta(minutes=5)): f.add('FLX007')
        if k['status']['lastAttemptedRevision']!=k['status']['lastAppliedRevision']: f.add('FLX008')
        h=k['status']['history'][0]
        interval={'10m0s':600,'1h0m0s':3600}[k['spec']['interval']]
        if (A-T(h['lastReconciled'])).total_seconds()>2*interval and r['status']=='True': ev.append(f"stale {k['metadata']['name']}")
    for c in by('Cluster'):
        for pl in c['spec']['plugins']:
            os_=pl['parameters'].get('barmanObjectName')
            if os_ and not get('ObjectStore', c['metadata']['namespace'], os_):
                f.add('OBJ001')
                idn=f"{c['metadata']['namespace']}_{os_}_barmancloud.cnpg.io_ObjectStore"
                ks=[k for k in by('Kustomization') if k['metadata']['name']==c['metadata']['labels'].get('kustomize.toolkit.fluxcd.io/name')]
                if idn not in inv and ks and cond(ks[0],'Ready')['status']=='True': f.add('FLX009')
    for fd in by('Deployment'):
        if fd['metadata']['namespace']=='flux-system' and fd['metadata']['name'] in ('kustomize-controller','source-controller') and not fd['status'].get('readyReplicas'): f.add('FLX010')
    # OBJ
    secrets={ (s['metadata']['namespace'], s['metadata']['name']): s for s in by('Secret')}
    for o in by('ObjectStore'):
        conf=o['spec']['configuration']; ns=o['metadata']['namespace']
        refs=[]
        for kk in ('s3Credentials','azureCredentials','googleCredentials'):
            for v in conf.get(kk,{}).values():
                if isinstance(v,dict): refs.append(v)
        if 'endpointCA' in conf: refs.append(conf['endpointCA'])
        for r in refs:
            s=secrets.get((ns,r['name']))
            if not s or r['key'] not in s.get('data',{}): f.add('OBJ002'); ev.append(f"OBJ002 {ns}/{r['name']}:{r['key']}")
        for srv,w in o['status'].get('serverRecoveryWindow',{}).items():
            if w.get('lastFailedBackupTime') and T(w['lastFailedBackupTime'])>T(w['lastSuccessfulBackupTime']): f.add('OBJ004')
    words=['InvalidAccessKeyId','SignatureDoesNotMatch','AccessDenied','ExpiredToken','InvalidIdentityToken',' 403']
    for c in by('Cluster'):
        ns=c['metadata']['namespace']; name=c['metadata']['name']
        pl=c['spec']['plugins'][0]; store=get('ObjectStore',ns,pl['parameters']['barmanObjectName'])
        srv=pl['parameters'].get('serverName',name)
        if store and srv not in store['status'].get('serverRecoveryWindow',{}): f.add('OBJ003')
        ca=cond(c,'ContinuousArchiving')
        if ca['status']=='False': f.add('BKP005'); ev.append(f"BKP005 {name}: {ca['message']}")
        if any(w in (ca.get('message') or '') for w in words): f.add('OBJ006')
        bks=sorted([b for b in by('Backup') if b['spec']['cluster']['name']==name and b['metadata']['namespace']==ns], key=lambda b:b['metadata']['creationTimestamp'])
        if bks and bks[-1].get('status',{}).get('phase')=='failed': f.add('BKP001'); ev.append(f"BKP001 {bks[-1]['metadata']['name']}: {bks[-1]['status']['error'][:90]}")
        for b in bks:
            st=b.get('status') or {}
            e=st.get('error') or ''
            if any(w in e for w in words) and b is bks[-1]: f.add('OBJ006')
            if st.get('phase')=='completed' and T(st['stoppedAt'])-T(st['startedAt'])>dt.timedelta(minutes=30): f.add('BKP003')
            if st.get('phase') in ('started','running') and A-T(st.get('startedAt') or b['metadata']['creationTimestamp'])>dt.timedelta(hours=6): f.add('BKP004')
            # An empty phase is a Backup the operator has not picked up (pending in all but name).
            if st.get('phase') in (None,'','pending') and A-T(b['metadata']['creationTimestamp'])>dt.timedelta(minutes=10): f.add('BKP004')
        last=None
        if store and srv in store['status'].get('serverRecoveryWindow',{}): last=T(store['status']['serverRecoveryWindow'][srv]['lastSuccessfulBackupTime'])
        else:
            ok=[T(b['status']['stoppedAt']) for b in bks if b['status']['phase']=='completed']
            last=max(ok) if ok else None
        if not last or A-last>dt.timedelta(hours=26): f.add('BKP002'); ev.append(f"BKP002 {name} last ok {last}")
    for sb in by('ScheduledBackup'):
        if sb['spec'].get('suspend'): f.add('BKP007')
        if sb['spec'].get('method','barmanObjectStore')!='plugin': f.add('BKP008')
    # coherence checks
    uids={}
    for o in objs:
        u=o['metadata']['uid']; assert u not in uids, (u, ident(o), uids[u]); uids[u]=ident(o)
    for o in objs:
        for r in o['metadata'].get('ownerReferences',[]):
            tgt=[x for x in objs if x['kind']==r['kind'] and x['metadata']['name']==r['name'] and x['metadata'].get('namespace')==o['metadata'].get('namespace')]
            assert tgt and tgt[0]['metadata']['uid']==r['uid'], ('owner', ident(o), r)
    for e in by('Event'):
        io=e['involvedObject']
        tgt=[x for x in objs if x['kind']==io['kind'] and x['metadata']['name']==io['name'] and x['metadata'].get('namespace','')==io.get('namespace','')]
        assert tgt, ('event target missing', e['metadata']['name'], io)
        if 'uid' in io: assert tgt[0]['metadata']['uid']==io['uid'], ('event uid', e['metadata']['name'])
    for d in by('Deployment'):
        sel=d['spec']['selector']['matchLabels']
        pods=[p for p in by('Pod') if p['metadata']['namespace']==d['metadata']['namespace'] and all(p['metadata']['labels'].get(a)==b for a,b in sel.items())]
        assert pods, ('no pods for', d['metadata']['name'])
    return f, ev
for path in sorted(glob.glob(os.path.join(DIR, '*.yaml'))):
    name=os.path.basename(path)[:-5]
    sc, objs = merged(name)
    f, ev = findings(objs)
    # The rejected credentials often show only in the sidecar's barman stderr (a barman-cloud-backup
    # failure comes back as a bare exit status).
    words=['InvalidAccessKeyId','SignatureDoesNotMatch','AccessDenied','ExpiredToken','InvalidIdentityToken',' 403']
    for lg in sc['spec'].get('logs', []):
        if lg.get('container')=='plugin-barman-cloud' and any(w in l for l in lg.get('lines', []) for w in words):
            f.add('OBJ006')
    exp=set(sc['spec']['expect'])
    print(f"{name}: found={sorted(f)} expect={sorted(exp)} {'OK' if f==exp else 'DIFF'}")
    for e in ev: print('    ', e)

print("--- timeline references")
import re
for path in sorted(glob.glob(os.path.join(DIR, '*.yaml'))):
    name=os.path.basename(path)[:-5]
    sc, objs = merged(name)
    idx={(grp(o['apiVersion']),o['kind'],o['metadata'].get('namespace',''),o['metadata']['name']) for o in objs}
    for e in sc['spec']['timeline']:
        applied=set()
        for st in e['steps']:
            if 'apply' in st:
                a=st['apply']; applied.add((grp(a['apiVersion']),a['kind'],a['metadata'].get('namespace',''),a['metadata']['name']))
            for key in ('patch','event','delete','restart'):
                if key not in st: continue
                if key=='restart':
                    ns,pn=st['restart']['pod'].split('/')
                    k=('', 'Pod', ns, pn)
                else:
                    r = st[key]['ref'] if key=='patch' else (st[key]['involved'] if key=='event' else st[key])
                    k=(grp(r['apiVersion']),r['kind'],r.get('namespace',''),r['name'])
                if k not in idx and k not in applied: print(name, 'MISSING', key, k)
    for l in sc['spec']['logs']:
        ns,pn=l['pod'].split('/')
        pod=[o for o in objs if o['kind']=='Pod' and o['metadata']['namespace']==ns and o['metadata']['name']==pn]
        if not pod: print(name,'log pod missing',l['pod']); continue
        names=[c['name'] for c in pod[0]['spec']['containers']+pod[0]['spec'].get('initContainers',[])]
        if l['container'] not in names: print(name,'log container missing',l['pod'],l['container'])
    print(name, 'timeline entries', len(sc['spec']['timeline']), 'log entries', len(sc['spec']['logs']))
