import 'reflect-metadata';

const SETTINGS = Symbol('settings');

/** Marks a property of the environment schema as a documented setting (the README table is generated from these). */
export function Setting(description: string): PropertyDecorator {
  return (target, property) => {
    const settings = new Map(settingsMap(target));
    settings.set(String(property), description);
    Reflect.defineMetadata(SETTINGS, settings, target);
  };
}

function settingsMap(target: object): ReadonlyMap<string, string> {
  const settings: unknown = Reflect.getMetadata(SETTINGS, target);
  return settings instanceof Map ? (settings as Map<string, string>) : new Map<string, string>();
}

/** The documented settings of a schema class, in declaration order, with their descriptions. */
export function settingsOf(schema: new () => object): ReadonlyMap<string, string> {
  return settingsMap(schema.prototype as object);
}
