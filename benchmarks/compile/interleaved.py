#!/usr/bin/python3
"""Before/after compile cost on a shared machine: ROUNDS rounds, each compiling
baseline_deps.cpp and every input against two include trees (BASEINC, NEWINC),
in alternating order, at each of MODES (syntax = -O0 -fsyntax-only, O0, O2 =
-c). One JSON row per compile to argv[1]; compare minima (load moves CPU
seconds by tens of percent; compiles a minute apart see the same load).

    git worktree add --detach /tmp/before <rev>
    BASEINC=/tmp/before/include NEWINC=$PWD/include ROUNDS=3 \
        python3 benchmarks/compile/interleaved.py rows.jsonl
"""
import json,os,subprocess,sys,tempfile,time,statistics
cxx=os.environ.get('CXX','g++'); rounds=int(os.environ.get('ROUNDS','4'))
modes=os.environ.get('MODES','syntax,O0').split(',')
variants={'base':os.environ['BASEINC'],'new':os.environ['NEWINC']}
HERE=os.path.dirname(os.path.abspath(__file__))
inputs={'umbrella':os.path.join(HERE,'umbrella_only.cpp'),'trivial_default':os.path.join(HERE,'trivial_default.cpp')}
if os.environ.get('EXTRA'): 
    for kv in os.environ['EXTRA'].split(','): k,v=kv.split('='); inputs[k]=v
base_src=os.path.join(HERE,'baseline_deps.cpp')
out=open(sys.argv[1],'a')
def one(src,inc,mode):
    with tempfile.TemporaryDirectory() as t:
        cmd=['/usr/bin/time','-o',t+'/tm','-f','%U %S %M',cxx,'-std=c++20','-DBOOST_ALL_NO_LIB','-isystem','/usr/include/eigen3']
        if inc: cmd+=['-I'+inc]
        cmd+=(['-O0','-fsyntax-only'] if mode=='syntax' else ['-'+mode,'-c','-o',t+'/o.o'])+[src]
        p=subprocess.run(cmd,capture_output=True,text=True)
        if p.returncode: print(p.stderr[-2000:]); sys.exit(1)
        u,s_,m=open(t+'/tm').read().split()[-3:]
        return float(u)+float(s_), int(m)/1024
for r in range(rounds):
    for mode in modes:
        jobs=[('baseline_deps','-',base_src,None)]+[(n,v,src,inc) for n,src in inputs.items() for v,inc in variants.items()]
        if r%2: jobs=jobs[::-1]
        for name,v,src,inc in jobs:
            load=os.getloadavg()[0]; cpu,rss=one(src,inc,mode)
            row=dict(round=r,mode=mode,input=name,variant=v,cpu_s=round(cpu,2),rss_mb=round(rss),load=round(load,2),cxx=cxx,t=time.strftime('%H:%M:%S',time.gmtime()))
            out.write(json.dumps(row)+'\n'); out.flush(); print(row,flush=True)
