// The app's router lazy-loads '../../pages/Scheduler': the page lives in Scheduler.tsx beside its sections.
export { default } from './Scheduler';
