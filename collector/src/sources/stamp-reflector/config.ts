/** `stamp.reflector`: the STAMP Session-Reflector's socket and limits; absent means off. */
import { z } from 'zod';
import { stampReflectorConfigSchema } from '../../stamp/config.js';

export const stampReflectorSectionSchema = stampReflectorConfigSchema
  .extend({ enabled: z.boolean().default(true) })
  .optional();

export type StampReflectorSection = z.output<typeof stampReflectorSectionSchema>;
