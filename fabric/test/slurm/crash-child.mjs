// Runs one Slurm move in its own process, so a test can kill it (SIGKILL) mid-move. It uses the
// built package (fabric/dist: `npm test` builds first). argv[2]: the SlurmMover options as JSON;
// argv[3]: the move request as JSON. Prints the result as JSON.
import { SlurmMover } from '../../dist/index.js';

const mover = new SlurmMover(JSON.parse(process.argv[2]));
const result = await mover.move(JSON.parse(process.argv[3]));
process.stdout.write(JSON.stringify(result));
