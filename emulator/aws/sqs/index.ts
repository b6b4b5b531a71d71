/** The SQS part of the AWS emulator (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Operation>`). */
export { SqsService, type SqsOptions } from './service';
