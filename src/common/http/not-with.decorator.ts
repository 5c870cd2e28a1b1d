import { registerDecorator, ValidationArguments } from 'class-validator';

/**
 * Refuses the decorated member when `other` is present in the same object (two members that say the same thing:
 * send one of them). `why` ends the message: `<member> and <other> <why>: send one of them`.
 */
export function NotWith(other: string, why: string): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'notWith',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [other],
      validator: {
        validate: (_value: unknown, args?: ValidationArguments) =>
          (args?.object as Record<string, unknown>)[other] === undefined,
        defaultMessage: (args?: ValidationArguments) => `${args?.property} and ${other} ${why}: send one of them`,
      },
    });
}
