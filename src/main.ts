// main.ts — browser entry: loads the global styles and mounts the root App component.
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("FIM Studio: #app element missing from index.html");

export default mount(App, { target });
