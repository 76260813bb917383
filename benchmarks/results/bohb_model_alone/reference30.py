import numpy as np, sys
sys.argv=[sys.argv[0]]
from reference import run
for rf in (1/3, 0.0):
    r = [run(s, 100, rf, hpbandster_split=False) for s in range(30)]
    for k in (25, 50, 100):
        print("paper split rf=%.3f 30 seeds @%d" % (rf, k), np.round(np.percentile([b[k-1] for b in r], [50, 25, 75]), 4))
