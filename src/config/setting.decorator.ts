import 'reflect-metadata';

const SETTINGS = Symbol('settings');

/** Marks a property of the environment schema as a documented setting (the README table is generated from these). */
export function Setting(description: string): PropertyDecorator {
  return (target, property) => {
    const settings = (Reflect.getMetadata(SETTINGS, target) as Map<string, string> | undefined) ?? new Map();
    settings.set(String(property), description);
    Reflect.defineMetadata(SETTINGS, settings, target);
  };
}

/** The documented settings of a schema class, in declaration order, with their descriptions. */
export function settingsOf(schema: new () => object): Map<string, string> {
  return (Reflect.getMetadata(SETTINGS, schema.prototype) as Map<string, string> | undefined) ?? new Map();
}
