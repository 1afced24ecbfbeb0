import { ModelParamsSchema, type ModelParams } from '@rapport/model';
import { CodedError, type Issue } from '@rapport/schema';
import { readYamlFile } from './yaml-file.js';

/** A model file that cannot be used: found at start-up, never later. */
export class ModelFileError extends CodedError<'MODEL_FILE_INVALID'> {
  constructor(
    readonly path: string,
    readonly issues: readonly Issue[],
  ) {
    super(
      'MODEL_FILE_INVALID',
      `Invalid model parameters in ${path}:\n${issues.map((issue) => `  ${issue.path || '(file)'}: ${issue.message}`).join('\n')}`,
    );
  }
}

/**
 * The engagement model's parameters (docs/model.md §13) from `RAPPORT_MODEL_FILE`, YAML or JSON;
 * the defaults when unset. The projector, the API, `rapport replay` and the worker each read it,
 * so that they fold and read every customer alike: give them all the same file.
 */
export async function loadModelParams(path: string | undefined): Promise<ModelParams> {
  if (path === undefined) return ModelParamsSchema.parse({});
  return readYamlFile(path, ModelParamsSchema, (issues) => new ModelFileError(path, issues));
}
