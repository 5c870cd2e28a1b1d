import { Body, Controller, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { FeedbackAnswerDto, FeedbackBatchAnswerDto, FeedbackDto } from './dto/feedback.dto';
import { FeedbackService } from './feedback.service';

/**
 * Sends an answer with its status: 201 for a stored single item, 200 for a duplicate and for a list (whose items
 * carry their own statuses). Nest would give every answer of the route one status, hence the reply is sent here.
 */
function send(reply: FastifyReply, answer: FeedbackAnswerDto | FeedbackBatchAnswerDto): void {
  void reply.code('status' in answer && answer.status === 'accepted' ? 201 : 200).send(answer);
}

/**
 * Ground truth for logged predictions. Open to the keys that may predict (API_KEYS), as the prediction routes are:
 * the clients that asked for a prediction are the ones that learn its outcome.
 */
@ApiTags('monitoring')
@ApiExtraModels(FeedbackAnswerDto, FeedbackBatchAnswerDto)
@Controller('feedback')
export class FeedbackController {
  constructor(private readonly feedback: FeedbackService) {}

  /**
   * The true value (regression) or label (classification) of a predicted row, by the answer's `requestId` (or the
   * client's `x-prediction-id` as `predictionId`): `{"requestId": "…", "row": 0, "actual": 2.31}`, or
   * `{"items": [ … ]}` for up to FEEDBACK_MAX_ITEMS of them, each judged on its own.
   */
  @Post()
  @ApiCreatedResponse({ type: FeedbackAnswerDto, description: 'One item: stored (status accepted)' })
  @ApiOkResponse({
    description: 'One item sent again with the same truth (status duplicate), or a list: one result per item',
    schema: { oneOf: [{ $ref: getSchemaPath(FeedbackAnswerDto) }, { $ref: getSchemaPath(FeedbackBatchAnswerDto) }] },
  })
  @ApiBadRequestResponse({
    description: 'Invalid body, or an actual that does not fit the model (FEEDBACK.INVALID_ACTUAL)',
  })
  @ApiNotFoundResponse({ description: 'No logged prediction by that id (FEEDBACK.PREDICTION_NOT_FOUND)' })
  @ApiConflictResponse({ description: 'The row already has a different truth (FEEDBACK.CONFLICT)' })
  @ApiUnprocessableEntityResponse({ description: 'The row is not one of the request (FEEDBACK.ROW_OUT_OF_RANGE)' })
  @ApiPayloadTooLargeResponse({ description: 'More items than FEEDBACK_MAX_ITEMS (FEEDBACK.TOO_MANY_ITEMS)' })
  async submit(@Body() body: FeedbackDto, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.feedback.submit(body));
  }
}
