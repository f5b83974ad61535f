import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FerryEvent } from '../../protocol/events.js';
import { ConfigError, type SourceConfig, type TrackingPlanConfig } from '../config.js';
import type { ViolationCount } from '../store/types.js';

/** What a plan says of one event that breaks it. */
export interface PlanViolation {
  /** The track event's name, "identify", or UNPLANNED: a bounded set (metrics label it). */
  event: string;
  /** ajv's messages, at most MAX_MESSAGES. */
  messages: string[];
  reject: boolean;
}

/** One source's plan, compiled: null when the event keeps to it (or the plan says nothing of it). */
export type PlanCheck = (event: FerryEvent) => PlanViolation | null;

/** Names outside the plan are counted under one name: a client cannot grow the counts' keys. */
export const UNPLANNED = '(unplanned)';
const MAX_MESSAGES = 10;
const MAX_MESSAGE_CHARS = 300;

function messagesOf(errors: ErrorObject[] | null | undefined, dataVar: string): string[] {
  return (errors ?? []).slice(0, MAX_MESSAGES).map((e) => `${dataVar}${e.instancePath} ${e.message ?? 'is invalid'}`.slice(0, MAX_MESSAGE_CHARS));
}

/**
 * Compiles every source's tracking plan once, at start. A track event's schema checks its
 * `properties` (an object; {} when absent), the identify schema its `traits`. A schema ajv
 * cannot compile is a ConfigError naming it.
 */
export function compileTrackingPlans(sources: readonly SourceConfig[]): ReadonlyMap<string, PlanCheck> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const compile = (schema: unknown, where: string): ValidateFunction => {
    if (!ajv.validateSchema(schema as object)) {
      throw new ConfigError(`invalid config: ${where}: not a valid JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: 'schema' })}`);
    }
    try {
      return ajv.compile(schema as object);
    } catch (err) {
      throw new ConfigError(`invalid config: ${where}: ${(err as Error).message}`);
    }
  };
  const plans = new Map<string, PlanCheck>();
  for (const s of sources) {
    if (s.trackingPlan) plans.set(s.name, planCheck(s.trackingPlan, (schema, what) => compile(schema, `sources.${s.name}.trackingPlan.${what}`)));
  }
  return plans;
}

function planCheck(plan: Readonly<TrackingPlanConfig>, compile: (schema: unknown, what: string) => ValidateFunction): PlanCheck {
  const events = new Map(Object.entries(plan.events).map(([name, schema]) => [name, compile(schema, `events[${JSON.stringify(name)}]`)]));
  const identify = plan.identify === undefined ? undefined : compile(plan.identify, 'identify');
  const reject = plan.onViolation === 'reject';
  const check = (validate: ValidateFunction, data: unknown, event: string, dataVar: string): PlanViolation | null =>
    validate(data ?? {}) ? null : { event, messages: messagesOf(validate.errors, dataVar), reject };
  return (e) => {
    if (e.type === 'identify') return identify ? check(identify, e.traits, 'identify', 'traits') : null;
    if (e.type !== 'track') return null;
    const name = String(e.event);
    const validate = events.get(name);
    if (validate) return check(validate, e.properties, name, 'properties');
    if (plan.unplannedEvents === 'violation') return { event: UNPLANNED, messages: [`the event "${name.slice(0, 100)}" is not in the tracking plan`], reject };
    return null;
  };
}

/** Violations of one request, counted per event name for the store. */
export function violationCounts(source: string, flagged: PlanViolation[], rejected: PlanViolation[], at: number): ViolationCount[] {
  const counts = new Map<string, ViolationCount>();
  const add = (v: PlanViolation, isRejected: boolean) => {
    const c = counts.get(v.event) ?? { source, event: v.event, count: 0, rejected: 0, lastAt: at, lastMessage: '' };
    c.count++;
    if (isRejected) c.rejected++;
    c.lastMessage = v.messages.join('; ');
    counts.set(v.event, c);
  };
  for (const v of flagged) add(v, false);
  for (const v of rejected) add(v, true);
  return [...counts.values()];
}
