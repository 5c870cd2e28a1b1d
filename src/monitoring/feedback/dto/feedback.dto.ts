import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { NotWith } from '../../../common/http/not-with.decorator';
import { plainToInstance } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsDefined,
  IsInt,
  IsString,
  Length,
  Max,
  Min,
  registerDecorator,
  ValidateIf,
  validateSync,
  ValidationArguments,
} from 'class-validator';
import { RequestValidationError } from '../../../common/errors/request-validation.error';

/** The members of one feedback item (the body itself, or each element of `items`). */
const ITEM_FIELDS = ['requestId', 'predictionId', 'row', 'actual'] as const;

type Body = Record<string, unknown>;
const single = (body: object): boolean => (body as Body).items === undefined;

/** `items` refused beside the single-item members: the body is one item or a list of items. */
function Alone(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'alone',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (_value: unknown, args?: ValidationArguments) =>
          ITEM_FIELDS.every((field) => (args?.object as Body)[field] === undefined),
        defaultMessage: () => `items cannot be sent with ${ITEM_FIELDS.join(', ')}: send one item, or a list of items`,
      },
    });
}

/** The truth: a finite number (regression) or a non-empty label of up to 256 characters (classification). */
function IsActual(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isActual',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'number' && Number.isFinite(value)) ||
          (typeof value === 'string' && value.length > 0 && value.length <= 256),
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be a finite number (regression: the true value, in the unit of the prediction) ` +
          'or a class label of 1 to 256 characters (classification)',
      },
    });
}

/**
 * One ground truth: the prediction by the `requestId` its answer carried (or the client's own `predictionId`,
 * sent as `x-prediction-id`; exactly one of the two), the row of that request (0 for a single-row request), and
 * the true value or label. The decorators run bottom-up: with stopAtFirstError, the first rule broken is named.
 */
export class FeedbackItemDto {
  /** The requestId of the prediction answer (also its x-request-id header). */
  @ApiPropertyOptional({ example: 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d', maxLength: 128 })
  @ValidateIf((o: FeedbackItemDto) => single(o) && (o.requestId !== undefined || o.predictionId === undefined))
  @Length(1, 128)
  @IsString()
  @NotWith('predictionId', 'both name the prediction')
  @IsDefined({ message: 'requestId or predictionId is required: the id of the prediction the truth is for' })
  requestId?: string;

  /** The client's own id of the prediction request, sent with it as the `x-prediction-id` header. */
  @ApiPropertyOptional({ example: 'order-1042', maxLength: 128 })
  @ValidateIf((o: FeedbackItemDto) => single(o) && o.predictionId !== undefined)
  @Length(1, 128)
  @IsString()
  predictionId?: string;

  /** The row of the prediction request (0-based; default 0, the only row of a single prediction). */
  @ApiPropertyOptional({ example: 0, minimum: 0, default: 0 })
  @ValidateIf((o: FeedbackItemDto) => single(o) && o.row !== undefined)
  @Max(2_147_483_647)
  @Min(0)
  @IsInt()
  row?: number;

  /** The true value (regression, in the unit of the predicted `value`) or class label (classification). */
  @ApiProperty({ oneOf: [{ type: 'number' }, { type: 'string' }], example: 2.31 })
  @ValidateIf(single)
  @IsActual()
  @IsDefined()
  actual!: number | string;
}

/**
 * `POST /feedback`: one item (`{"requestId": "…", "row": 0, "actual": 2.31}`) or a list of them
 * (`{"items": [ … ]}`, up to FEEDBACK_MAX_ITEMS). The items of a list are validated one by one by the service
 * (parseFeedbackItem), so that a bad item is answered in its own result and does not stop the others.
 */
export class FeedbackDto extends FeedbackItemDto {
  /** Up to FEEDBACK_MAX_ITEMS items, each judged on its own. */
  @ApiPropertyOptional({ type: [FeedbackItemDto] })
  @ValidateIf((o: FeedbackDto) => o.items !== undefined)
  @Alone()
  @ArrayNotEmpty()
  @IsArray({ message: 'items must be an array of feedback items' })
  items?: unknown[];
}

/** The rules of the global validation pipe (AppValidationPipe), for the items of a list. */
const ITEM_VALIDATION = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
} as const;

/** One element of `items` validated as a FeedbackItemDto, its problems named `items.<index>.<field>`. */
export function parseFeedbackItem(value: unknown, index: number): FeedbackItemDto | RequestValidationError {
  const at = `items.${index}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new RequestValidationError([
      { field: at, rule: 'isObject', message: `${at} must be a feedback item object` },
    ]);
  }
  const item = plainToInstance(FeedbackItemDto, value);
  const errors = validateSync(item, ITEM_VALIDATION);
  return errors.length > 0 ? RequestValidationError.fromValidationErrors(errors, at) : item;
}

export class FeedbackOutcomeDto {
  /** The version whose prediction this is. */
  @ApiProperty({ example: 3 }) version!: number;
  /** The traffic policy the request was served under: its mode and id (0: the default champion policy). */
  @ApiProperty({ example: 'champion' }) policy!: string;
  @ApiProperty({ example: 0 }) policyId!: number;
  /** primary: the answer the client got; shadow: a shadow version's prediction of the same rows. */
  @ApiProperty({ enum: ['primary', 'shadow'] }) role!: 'primary' | 'shadow';
  @ApiProperty({ oneOf: [{ type: 'number' }, { type: 'string' }], example: 2.05 }) predicted!: number | string;
  @ApiProperty({ oneOf: [{ type: 'number' }, { type: 'string' }], example: 2.31 }) actual!: number | string;
  /** Regression: (predicted − actual)². */
  @ApiPropertyOptional({ example: 0.0676 }) squaredError?: number;
  /** Regression: |predicted − actual|. */
  @ApiPropertyOptional({ example: 0.26 }) absoluteError?: number;
  /** Classification: the predicted label is the true one. */
  @ApiPropertyOptional() correct?: boolean;
  /** Classification: −ln(max(p(actual), 1e-15)). */
  @ApiPropertyOptional({ example: 0.105 }) logLoss?: number;
}

/** The prediction a ground truth was joined to, and the row's outcome for each of its logged entries. */
export class FeedbackJoinDto {
  @ApiProperty() requestId!: string;
  /** The client's id of the request, when the feedback named it that way. */
  @ApiPropertyOptional() predictionId?: string;
  @ApiProperty({ example: 0 }) row!: number;
  @ApiProperty({ example: 'california-housing' }) model!: string;
  /** The version that answered the client. */
  @ApiProperty({ example: 3 }) version!: number;
  @ApiProperty({ type: [FeedbackOutcomeDto] }) outcomes!: FeedbackOutcomeDto[];
}

/** A single item's answer: 201 accepted, or 200 duplicate (the same truth again: stored and counted once). */
export class FeedbackAnswerDto extends FeedbackJoinDto {
  @ApiProperty({ enum: ['accepted', 'duplicate'] }) status!: 'accepted' | 'duplicate';
}

/** One item of a list: the status a single item would have got, and its answer or its error. */
export class FeedbackItemResultDto extends PartialType(FeedbackJoinDto) {
  /** The item's position in `items`. */
  @ApiProperty({ example: 0 }) index!: number;
  /** 201 accepted, 200 duplicate, 400 invalid, 404 unknown prediction, 409 conflict, 422 row out of range. */
  @ApiProperty({ enum: [201, 200, 400, 404, 409, 413, 422] }) status!: number;
  @ApiPropertyOptional({ example: 'FEEDBACK.CONFLICT' }) code?: string;
  @ApiPropertyOptional() message?: string;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } }) errors?: object[];
}

/** A list's answer (200): counts, and one result per item in order. */
export class FeedbackBatchAnswerDto {
  @ApiProperty({ example: 98 }) accepted!: number;
  @ApiProperty({ example: 1 }) duplicates!: number;
  @ApiProperty({ example: 1 }) rejected!: number;
  @ApiProperty({ type: [FeedbackItemResultDto] }) results!: FeedbackItemResultDto[];
}
