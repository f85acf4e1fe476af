import type { StrategyName } from '../config.js';
import { LastUsedStrategy } from './last-used.js';
import { LeastUsedStrategy } from './least-used.js';
import { MostUsedStrategy } from './most-used.js';
import { RandomlyPickStrategy } from './randomly-pick.js';
import { RoundRobinStrategy } from './round-robin.js';
import type { RandomSource, SchedulingStrategy } from './strategy.js';
import { WeightRobinStrategy } from './weight-robin.js';

export interface StrategyOptions {
  random?: RandomSource;
}

export function createStrategy(name: StrategyName, options: StrategyOptions = {}): SchedulingStrategy {
  switch (name) {
    case 'least-used':
      return new LeastUsedStrategy();
    case 'most-used':
      return new MostUsedStrategy();
    case 'last-used':
      return new LastUsedStrategy();
    case 'round-robin':
      return new RoundRobinStrategy();
    case 'randomly-pick':
      return new RandomlyPickStrategy(options.random);
    case 'weight-robin':
      return new WeightRobinStrategy();
  }
}
