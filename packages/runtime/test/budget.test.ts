import { describe, expect, it } from 'vitest';
import { budgetFromDevice, normaliseDeviceMemory, type BudgetInputs, type BudgetSource } from '../src/index.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

// [case, inputs, expected bytes, expected decidedBy]
const table: [string, BudgetInputs, number, BudgetSource][] = [
  ['Firefox/Safari: no deviceMemory → 1 GiB assumed', {}, 16 * MiB, 'default'],
  ['deviceMemory NaN is treated as absent', { deviceMemory: Number.NaN }, 16 * MiB, 'default'],
  ['deviceMemory 0 is treated as absent', { deviceMemory: 0 }, 16 * MiB, 'default'],
  ['old bucket 0.25', { deviceMemory: 0.25 }, 4 * MiB, 'deviceMemory'],
  ['old bucket 0.5', { deviceMemory: 0.5 }, 8 * MiB, 'deviceMemory'],
  ['old bucket 8 (old cap)', { deviceMemory: 8 }, 128 * MiB, 'deviceMemory'],
  ['Chrome 147+ bucket 1', { deviceMemory: 1 }, 16 * MiB, 'deviceMemory'],
  ['Chrome 147+ bucket 16', { deviceMemory: 16 }, 256 * MiB, 'deviceMemory'],
  ['Chrome 147+ bucket 32', { deviceMemory: 32 }, 512 * MiB, 'deviceMemory'],
  ['above the known range clamps to 32', { deviceMemory: 64 }, 512 * MiB, 'deviceMemory'],
  ['below the known range clamps to 0.25', { deviceMemory: 0.1 }, 4 * MiB, 'deviceMemory'],
  ['app override replaces deviceMemory', { override: 3 * MiB, deviceMemory: 8 }, 3 * MiB, 'override'],
  ['fractional override is floored', { override: 1000.7 }, 1000, 'override'],
  ['override of 0 is allowed (selection then says it is too small)', { override: 0 }, 0, 'override'],
  ['storage headroom limits a persisted auto budget', { deviceMemory: 8, persist: true, storage: { quota: 100 * MiB, usage: 60 * MiB } }, 20 * MiB, 'storage'],
  ['own cached bytes count as headroom (reload keeps its budget)', { deviceMemory: 8, persist: true, storage: { quota: 100 * MiB, usage: 60 * MiB }, cachedBytes: 40 * MiB }, 40 * MiB, 'storage'],
  ['cached bytes beyond usage are not double counted', { deviceMemory: 1, persist: true, storage: { quota: 10 * MiB, usage: 1 * MiB }, cachedBytes: 50 * MiB }, 5 * MiB, 'storage'],
  ['ample storage does not limit', { deviceMemory: 4, persist: true, storage: { quota: 10 * GiB, usage: 0 } }, 64 * MiB, 'deviceMemory'],
  ['storage is ignored in memory mode', { deviceMemory: 8, persist: false, storage: { quota: 10 * MiB, usage: 9 * MiB } }, 128 * MiB, 'deviceMemory'],
  ['storage does not cut an app override', { override: 50 * MiB, persist: true, storage: { quota: 10 * MiB, usage: 9 * MiB } }, 50 * MiB, 'override'],
  ['unknown quota: no storage limit', { deviceMemory: 2, persist: true, storage: { usage: 5 } }, 32 * MiB, 'deviceMemory'],
  ['full storage gives 0', { deviceMemory: 2, persist: true, storage: { quota: 5 * MiB, usage: 6 * MiB } }, 0, 'storage'],
  ['WebGPU binding limit caps the budget', { deviceMemory: 32, maxStorageBufferBindingSize: 128 * MiB }, 128 * MiB, 'webgpu'],
  ['WebGPU binding limit caps an override too', { override: 1 * GiB, maxStorageBufferBindingSize: 256 * MiB }, 256 * MiB, 'webgpu'],
  ['a larger WebGPU limit does not raise the budget', { deviceMemory: 1, maxStorageBufferBindingSize: 2 * GiB }, 16 * MiB, 'deviceMemory'],
  ['smallest of storage and WebGPU wins', { deviceMemory: 32, persist: true, storage: { quota: 100 * MiB, usage: 0 }, maxStorageBufferBindingSize: 128 * MiB }, 50 * MiB, 'storage'],
];

describe('budgetFromDevice (the budget policy)', () => {
  it.each(table)('%s', (_name, inputs, bytes, decidedBy) => {
    const d = budgetFromDevice(inputs);
    expect(d.bytes).toBe(bytes);
    expect(d.decidedBy).toBe(decidedBy);
    expect(d.inputs).toBe(inputs);
    expect(d.explanation).toMatch(/MiB/);
    // The decided limit is listed and is the smallest of the listed limits.
    const limits = [d.limits.memory.bytes, d.limits.storage?.bytes, d.limits.webgpu?.bytes].filter((v): v is number => v !== undefined);
    expect(Math.min(...limits)).toBe(bytes);
  });

  it('rejects a negative or non-finite override with a clear error', () => {
    expect(() => budgetFromDevice({ override: -1 })).toThrow(expect.objectContaining({ name: 'OptionError', option: 'budget', message: expect.stringMatching(/finite number of bytes/) }));
    expect(() => budgetFromDevice({ override: Infinity })).toThrow(expect.objectContaining({ name: 'OptionError', option: 'budget' }));
  });

  it('reports the device memory it assumed', () => {
    expect(budgetFromDevice({}).limits.memory).toMatchObject({ source: 'default', deviceMemoryGiB: 1 });
    expect(budgetFromDevice({ deviceMemory: 4 }).limits.memory).toMatchObject({ source: 'deviceMemory', deviceMemoryGiB: 4 });
  });

  it('normalises deviceMemory readings', () => {
    expect(normaliseDeviceMemory(undefined)).toBeUndefined();
    expect(normaliseDeviceMemory('8')).toBeUndefined();
    expect(normaliseDeviceMemory(-2)).toBeUndefined();
    expect(normaliseDeviceMemory(2)).toBe(2);
  });
});
