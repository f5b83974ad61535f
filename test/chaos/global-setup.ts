import { resetRows } from './runner.js';

/** A fresh summary for this run. */
export default function globalSetup(): void {
  resetRows();
}
