import { stopAllWorkerLoops, WorkerLoop, workerBeats } from './worker-loop';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WorkerLoop', () => {
  it('runs rounds one after another, never two at once, and stop waits for the running round', async () => {
    let active = 0;
    let maxActive = 0;
    let rounds = 0;
    let finished = 0;
    let third: () => void;
    const thirdStarted = new Promise<void>((resolve) => (third = resolve));
    const loop = new WorkerLoop(
      'test',
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        rounds++;
        if (rounds === 3) third();
        await tick(15);
        active--;
        finished++;
        return 1;
      },
      { intervalMs: 1 },
    );
    loop.start(0);
    await thirdStarted;
    // Stopped while the third round runs: stop() resolves only after it ended, and no round follows.
    await loop.stop();
    expect(finished).toBe(rounds);
    expect(maxActive).toBe(1);
    const afterStop = rounds;
    await tick(30);
    expect(rounds).toBe(afterStop);
  });

  it('a failing round backs off and the loop goes on', async () => {
    const delays: number[] = [];
    let last = Date.now();
    let calls = 0;
    const loop = new WorkerLoop(
      'test',
      async () => {
        const now = Date.now();
        delays.push(now - last);
        last = now;
        calls++;
        if (calls === 1) throw new Error('database away');
        return 1;
      },
      { intervalMs: 1, backoffMs: 40 },
    );
    loop.start(0);
    await tick(120);
    await loop.stop();
    expect(calls).toBeGreaterThanOrEqual(3);
    // The round after the failure waited the back-off, not the interval.
    expect(delays[1]).toBeGreaterThanOrEqual(35);
  });

  it('shows a heartbeat while it runs, stale once it stops showing life; stopAll ends every loop', async () => {
    let release: () => void = () => undefined;
    const stuck = new WorkerLoop('stuck', () => new Promise<void>((resolve) => (release = resolve)), { intervalMs: 1 });
    const quick = new WorkerLoop('quick', async () => undefined, { intervalMs: 1 });
    stuck.start(0);
    quick.start(0);
    await tick(20);
    const now = Date.now();
    expect(workerBeats(now).map((b) => [b.name, b.stale])).toEqual([
      ['stuck', false],
      ['quick', false],
    ]);
    expect(stuck.beat(now)).toMatchObject({ running: true, lastFinishedAt: undefined });
    expect(quick.beat(now).lastFinishedAt).toBeGreaterThan(0);
    // A round running for five minutes is stuck; a loop quiet for three intervals and a minute too.
    expect(stuck.beat(now + 5 * 60_000 + 1000).stale).toBe(true);
    const finished = quick.beat(now).lastFinishedAt!;
    expect(quick.beat(finished + 120_000).stale).toBe(true);
    const stopping = stopAllWorkerLoops();
    release();
    await stopping;
    expect(workerBeats()).toEqual([]);
  });
});
