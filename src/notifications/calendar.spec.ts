import { appointmentIcs } from './calendar';

describe('appointment calendar entry', () => {
  const base = {
    uid: 'b1a7e0de-0000-4000-8000-000000000001@bounce.stadt.example',
    start: new Date('2026-10-25T09:00:00Z'), // the Sunday clocks go back in Berlin: 10:00 local (CET)
    end: new Date('2026-10-25T09:20:00Z'),
    title: 'Bürgeramt Mitte: Personalausweis',
    location: 'Rathausplatz 1, 10178 Berlin',
    description: 'Buchungsnummer HF-7K3Q-9MPD',
  };

  it('a request with a stable UID, sequence 0, the times in UTC', () => {
    const ics = appointmentIcs({ ...base, sequence: 0, method: 'REQUEST' });
    expect(ics).toContain('METHOD:REQUEST');
    expect(ics).toContain(`UID:${base.uid}`);
    expect(ics).toContain('SEQUENCE:0');
    expect(ics).toMatch(/DTSTART:20261025T090000Z/);
    expect(ics).toMatch(/DTEND:20261025T092000Z/);
    expect(ics).toContain('STATUS:CONFIRMED');
  });

  it('the cancellation: same UID, a higher sequence, CANCEL', () => {
    const ics = appointmentIcs({ ...base, sequence: 1, method: 'CANCEL' });
    expect(ics).toContain('METHOD:CANCEL');
    expect(ics).toContain(`UID:${base.uid}`);
    expect(ics).toContain('SEQUENCE:1');
    expect(ics).toContain('STATUS:CANCELLED');
  });
});
